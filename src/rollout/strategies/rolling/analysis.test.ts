import { describe, expect, it } from 'vitest';
import { AnalysisSpecSchema } from '../../../analysis/spec.js';
import type { RolloutServer } from '../../strategy.js';
import { rolling } from './index.js';
import { runningRollingCheck } from './plan.js';
import { promoted, srv, startedRolling, stepRolling, T0, type RollingRollout } from './testing.js';

const ANALYSIS = AnalysisSpecSchema.parse({ windowSeconds: 30, metrics: [{ metric: 'crash_rate', max: 0.05 }] });
const v1 = (id: string, used: number) => srv(id, 'v1', used > 0 ? 'Active' : 'Ready', used);
const v2 = (id: string, used = 0): RolloutServer => srv(id, 'v2', used > 0 ? 'Active' : 'Ready', used);
const batchOneInRotation = [v1('o1', 3), v2('n1')];

/** A two-server rolling release whose first batch (o2 → n1) is now in rotation. */
function atFirstVerdict(): { r: RollingRollout; started: ReturnType<typeof stepRolling> } {
  let r = stepRolling(startedRolling({ analysis: ANALYSIS }), [v1('o1', 3), v1('o2', 1)], T0).next;
  r = stepRolling(r, [v1('o1', 3)], T0 + 1).next;
  const started = stepRolling(r, batchOneInRotation, T0 + 2);
  return { r: started.next, started };
}
const judged = (r: RollingRollout, state: 'passed' | 'failed' | 'inconclusive', detail: string): RollingRollout => ({ ...r, smoke: { ...r.smoke!, state, finishedAt: T0 + 32_000, detail } });

describe('a rolling release with a per-batch analysis', () => {
  it('judges a batch once it is in rotation, before the next batch takes another old server away', () => {
    const { r, started } = atFirstVerdict();
    expect(started.plan.routing?.entries).toEqual([{ build: 'v1', weight: 50 }, { build: 'v2', weight: 50 }]);
    expect(started.plan.drainServers).toBeUndefined();
    expect(started.plan.check).toMatchObject({ serverId: '', analysis: ANALYSIS, window: { since: T0 + 2, until: T0 + 30_002 }, canary: 'v2', baseline: 'v1', label: 'batch 1/2' });
    expect(r).toMatchObject({ phase: 'Verifying', message: 'batch 1/2: analysing v2 against v1 for 30s', smoke: { state: 'running', serverId: '', startedAt: T0 + 2 } });
    expect(runningRollingCheck(r)).toEqual(started.plan.check);
    const waiting = stepRolling(r, batchOneInRotation, T0 + 10_000);
    expect([waiting.plan.drainServers, waiting.plan.check ?? null, waiting.next.phase]).toEqual([undefined, null, 'Verifying']);
  });

  it('goes on to the next batch when the verdict passes', () => {
    const next = stepRolling(judged(atFirstVerdict().r, 'passed', 'pass: …'), batchOneInRotation, T0 + 32_001);
    expect(next.next.phase).toBe('Progressing');
    expect(next.progress).toMatchObject({ batch: 2, analysedBatch: 1, analysingBatch: null });
    expect(next.plan.drainServers).toEqual([{ serverId: 'o1', reason: 'release' }]);
  });

  it('fails the release on a failing verdict and sends new sessions back to the old build', () => {
    const { plan, next } = stepRolling(judged(atFirstVerdict().r, 'failed', 'fail: crash_rate is 0.5'), batchOneInRotation, T0 + 32_001);
    expect(next).toMatchObject({ phase: 'Failed', failedAt: T0 + 32_001, message: 'batch 1/2: analysis failed: fail: crash_rate is 0.5' });
    expect(plan.routing?.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
  });

  it('pauses on an inconclusive verdict and, once promoted, goes on without judging the batch again', () => {
    const paused = stepRolling(judged(atFirstVerdict().r, 'inconclusive', 'inconclusive: only 1 sample'), batchOneInRotation, T0 + 32_001);
    expect(paused.next).toMatchObject({ phase: 'Paused', message: 'batch 1/2: analysis inconclusive: inconclusive: only 1 sample Promote to continue, abort to roll back.' });
    expect(stepRolling(paused.next, batchOneInRotation, T0 + 60_000).plan.drainServers).toBeUndefined();
    const resumed = stepRolling(promoted(paused.next, T0 + 61_000), batchOneInRotation, T0 + 61_000);
    expect(resumed.plan.check ?? null).toBeNull();
    expect(resumed.progress.batch).toBe(2);
    expect(resumed.plan.drainServers).toEqual([{ serverId: 'o1', reason: 'release' }]);
  });

  it('refuses an analysis on a metric Handoff does not collect', () => {
    const bad = AnalysisSpecSchema.parse({ metrics: [{ metric: 'crashes', max: 1 }] });
    expect(() => rolling.validate({ ...startedRolling().spec, analysis: bad }, T0)).toThrow(expect.objectContaining({ code: 'ANALYSIS_UNKNOWN_METRIC' }));
  });
});
