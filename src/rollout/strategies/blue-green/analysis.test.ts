import { describe, expect, it } from 'vitest';
import { AnalysisSpecSchema } from '../../../analysis/spec.js';
import { planPromote } from '../../commands.js';
import type { Rollout } from '../../model.js';
import type { RolloutServer } from '../../strategy.js';
import { blueGreen } from './index.js';
import { planBlueGreen, runningBlueGreenCheck } from './plan.js';
import type { BlueGreenSpec } from './spec.js';

const T0 = 5_000_000;
const PRE = AnalysisSpecSchema.parse({ windowSeconds: 20, metrics: [{ metric: 'crash_rate', max: 0.05 }, { metric: 'custom.tick_ms', max: 20 }] });
const SMOKE = { kind: 'http' as const, port: 'game', path: '/healthz', expectStatus: 200, timeoutSeconds: 5 };
type BG = Rollout & { spec: BlueGreenSpec };
const spec = (over: Partial<BlueGreenSpec> = {}): BlueGreenSpec => ({
  strategy: 'blue-green', autoPromote: true, smoke: null, drain: null, oldIdleSeconds: 5, readyTimeoutSeconds: 60, maxStartFailures: 3, analysis: { preSwitch: PRE }, ...over,
});
const rollout = (over: Partial<BlueGreenSpec> = {}): BG => ({
  id: 'ro_1', fleet: 'arena', fromBuild: 'v1', toBuild: 'v2', spec: spec(over), phase: 'Provisioning', message: '', targetServers: 1,
  startFailures: 0, lastFailure: null, smoke: null, previousRouting: { entries: [{ build: 'v1', weight: 100 }] },
  createdAt: T0, updatedAt: T0, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null, migratedAt: null, completedAt: null, abortedAt: null, failedAt: null,
});
const servers: RolloutServer[] = [{ id: 'o1', build: 'v1', state: 'Active', used: 3 }, { id: 'n1', build: 'v2', state: 'Ready', used: 0 }];
const apply = (r: BG, now: number) => {
  const plan = planBlueGreen({ rollout: r, servers, now });
  return { plan, r: { ...r, ...plan.patch, spec: r.spec } as BG };
};
const judged = (state: 'passed' | 'failed' | 'inconclusive', detail: string): BG => {
  const { r } = apply(rollout(), T0);
  return { ...r, smoke: { ...r.smoke!, state, finishedAt: T0 + 20_000, detail } };
};

describe('a blue-green release with a pre-switch analysis', () => {
  it('judges the Ready new build against the old one before any player is switched to it', () => {
    const { plan, r } = apply(rollout(), T0);
    expect(plan.routing).toBeNull();
    expect(plan.check).toMatchObject({ serverId: '', analysis: PRE, window: { since: T0, until: T0 + 20_000 }, canary: 'v2', baseline: 'v1', label: 'pre-switch' });
    expect(r).toMatchObject({ phase: 'Verifying', readyAt: T0, message: 'pre-switch: analysing v2 against v1 for 20s', smoke: { state: 'running', serverId: '' } });
    expect(runningBlueGreenCheck(r)).toEqual(plan.check);
  });

  it('runs the smoke check first, then the analysis', () => {
    const { plan, r } = apply(rollout({ smoke: SMOKE }), T0);
    expect([plan.smokeOn, plan.check ?? null]).toEqual(['n1', null]);
    expect(runningBlueGreenCheck(r)).toEqual({ serverId: 'n1', smoke: SMOKE });
    const smoked = { ...r, smoke: { ...r.smoke!, state: 'passed' as const, finishedAt: T0 + 1 } };
    expect(apply(smoked, T0 + 2).plan.check).toMatchObject({ label: 'pre-switch', window: { since: T0 + 2 } });
  });

  it('switches when the verdict passes', () => {
    const { plan, r } = apply(judged('passed', 'pass: …'), T0 + 20_001);
    expect(plan.routing?.entries).toEqual([{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }]);
    expect(r.phase).toBe('Draining');
  });

  it('fails without ever switching when the verdict fails', () => {
    const { plan, r } = apply(judged('failed', 'fail: custom.tick_ms median 34'), T0 + 20_001);
    expect(r).toMatchObject({ phase: 'Failed', switchedAt: null, message: 'pre-switch analysis failed: fail: custom.tick_ms median 34' });
    expect(plan.routing?.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
  });

  it('waits for a person on an inconclusive verdict: promote switches without judging again', () => {
    const { r } = apply(judged('inconclusive', 'inconclusive: only 1 sample'), T0 + 20_001);
    expect(r).toMatchObject({ phase: 'AwaitingPromotion', message: 'pre-switch analysis inconclusive: inconclusive: only 1 sample Promote to switch, abort to roll back.' });
    expect(apply(r, T0 + 30_000).plan.routing).toBeNull();
    const promoted = { ...r, ...planPromote(r, {}, T0 + 31_000) } as BG;
    expect(apply(promoted, T0 + 31_000).r.phase).toBe('Draining');
  });

  it('refuses an analysis on a metric Handoff does not collect', () => {
    const bad = AnalysisSpecSchema.parse({ metrics: [{ metric: 'tick_ms', max: 1 }] });
    expect(() => blueGreen.validate(spec({ analysis: { preSwitch: bad } }), T0)).toThrow(expect.objectContaining({ code: 'ANALYSIS_UNKNOWN_METRIC' }));
  });
});
