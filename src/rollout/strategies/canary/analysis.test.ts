import { describe, expect, it } from 'vitest';
import { AnalysisSpecSchema } from '../../../analysis/spec.js';
import { planPromote } from '../../commands.js';
import type { Rollout } from '../../model.js';
import type { RolloutServer } from '../../strategy.js';
import { validateCanary } from './index.js';
import { planCanary, runningCanaryCheck } from './plan.js';
import type { CanarySpec, CanaryStep } from './spec.js';

const T0 = 5_000_000;
const METRICS = AnalysisSpecSchema.parse({ windowSeconds: 30, metrics: [{ metric: 'crash_rate', max: 0.05 }] });
const STEPS: CanaryStep[] = [{ setWeight: 10 }, { analysis: { metrics: METRICS } }, { setWeight: 100 }];
type CanaryRollout = Rollout & { spec: CanarySpec };
const spec: CanarySpec = { strategy: 'canary', steps: STEPS, cohort: null, smoke: null, drain: null, oldIdleSeconds: 5, readyTimeoutSeconds: 60, maxStartFailures: 3 };
const rollout: CanaryRollout = {
  id: 'ro_1', fleet: 'arena', fromBuild: 'v1', toBuild: 'v2', spec, phase: 'Provisioning', message: '', targetServers: 1, startFailures: 0, lastFailure: null, smoke: null,
  previousRouting: { entries: [{ build: 'v1', weight: 100 }] },
  createdAt: T0, updatedAt: T0, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null, migratedAt: null, completedAt: null, abortedAt: null, failedAt: null,
};
const fleet: RolloutServer[] = [{ id: 'o1', build: 'v1', state: 'Active', used: 2 }, { id: 'n1', build: 'v2', state: 'Ready', used: 0 }];
const apply = (r: CanaryRollout, now: number) => {
  const plan = planCanary({ rollout: r, servers: fleet, now });
  return { r: { ...r, ...plan.patch, spec: r.spec }, plan };
};
/** The release at its analysis step, as the service leaves it once the judge has answered. */
const judged = (state: 'passed' | 'failed' | 'inconclusive', detail: string): CanaryRollout => {
  const { r } = apply(rollout, T0);
  return { ...r, smoke: { ...r.smoke!, state, finishedAt: T0 + 30_000, detail } };
};

describe('a canary analysis step on metrics', () => {
  it('asks for the canary against the old build over the window starting at the step, at the weight reached', () => {
    const { r, plan } = apply(rollout, T0);
    expect(plan.check).toEqual({
      serverId: '', analysis: METRICS, window: { since: T0, until: T0 + 30_000 }, canary: 'v2', baseline: 'v1', label: 'step 2/3',
      payload: { rollout: 'ro_1', fleet: 'arena', strategy: 'canary', fromBuild: 'v1', toBuild: 'v2', step: 2, steps: 3, weight: 10 },
    });
    expect(r).toMatchObject({ phase: 'Verifying', message: 'step 2/3: analysing v2 against v1 at 10% for 30s', smoke: { state: 'running', startedAt: T0 } });
    // After a restart the same check (same window) is asked again, not a new one.
    expect(runningCanaryCheck(r)).toEqual(plan.check);
  });

  it('goes on to the next step when the verdict passes', () => {
    const p = planCanary({ rollout: judged('passed', 'pass: …'), servers: fleet, now: T0 + 30_001 });
    expect(p.routing?.entries).toEqual([{ build: 'v1', weight: 0 }, { build: 'v2', weight: 100 }]);
    expect(p.patch.phase).toBe('Draining');
  });

  it('fails the release on a failed verdict: new sessions go back to the old build, nobody is closed', () => {
    const p = planCanary({ rollout: judged('failed', 'fail: crash_rate is 0.75'), servers: fleet, now: T0 + 30_001 });
    expect(p.patch).toMatchObject({ phase: 'Failed', failedAt: T0 + 30_001, message: 'step 2/3: analysis failed: fail: crash_rate is 0.75' });
    expect(p.routing).toEqual({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] });
    expect(p.closeSessions).toBeUndefined();
    expect(p.migrate).toEqual([]);
  });

  it('pauses on an inconclusive verdict, stays paused at the same weight, and continues when promoted', () => {
    const paused = apply(judged('inconclusive', 'inconclusive: only 2 samples'), T0 + 30_001).r;
    expect(paused).toMatchObject({ phase: 'Paused', message: 'step 2/3: analysis inconclusive at 10%: inconclusive: only 2 samples Promote to continue, abort to roll back.' });
    const later = planCanary({ rollout: paused, servers: fleet, now: T0 + 90_000 });
    expect(later.routing).toBeNull();
    expect(later.check ?? null).toBeNull();
    expect(later.patch.phase).toBeUndefined();
    const promoted = { ...paused, ...planPromote(paused, {}, T0 + 91_000), spec };
    const next = planCanary({ rollout: promoted, servers: fleet, now: T0 + 91_000 });
    expect(next.routing?.entries[1]?.weight).toBe(100);
    expect(next.patch.phase).toBe('Draining');
  });

  it('refuses an analysis on a metric Handoff does not collect before anything starts', () => {
    const bad = AnalysisSpecSchema.parse({ metrics: [{ metric: 'crash_rat', max: 0.1 }] });
    const steps: CanaryStep[] = [{ setWeight: 10 }, { analysis: { metrics: bad } }, { setWeight: 100 }];
    expect(() => validateCanary({ ...spec, steps })).toThrow(expect.objectContaining({ code: 'ANALYSIS_UNKNOWN_METRIC' }));
  });
});
