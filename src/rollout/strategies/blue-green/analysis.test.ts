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

describe('a blue-green release with a post-switch analysis', () => {
  const POST = AnalysisSpecSchema.parse({ windowSeconds: 30, metrics: [{ metric: 'abnormal_close_rate', max: 0.05 }] });
  const switched = (): { plan: ReturnType<typeof planBlueGreen>; r: BG } => apply(rollout({ analysis: { preSwitch: null, postSwitch: POST } }), T0);
  const after = (state: 'passed' | 'failed' | 'inconclusive', detail: string, over: Partial<BG> = {}): BG => {
    const { r } = switched();
    return { ...r, ...over, smoke: { ...r.smoke!, state, finishedAt: T0 + 30_000, detail } };
  };

  it('switches, and judges the new build against the old over the window that starts with the switch', () => {
    const { plan, r } = switched();
    expect(plan.routing?.entries).toEqual([{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }]);
    expect(plan.check).toMatchObject({ label: 'post-switch', window: { since: T0, until: T0 + 30_000 }, canary: 'v2', baseline: 'v1' });
    expect(r).toMatchObject({ phase: 'Draining', switchedAt: T0, smoke: { state: 'running', serverId: '' } });
    expect(runningBlueGreenCheck(r)).toEqual(plan.check);
  });

  it('does not complete before the verdict, and completes once it passed', () => {
    const { r } = switched();
    const v2Only: RolloutServer[] = [{ id: 'n1', build: 'v2', state: 'Active', used: 2 }];
    const holding = planBlueGreen({ rollout: r, servers: v2Only, now: T0 + 5_000 });
    expect([holding.patch.phase, holding.patch.message]).toEqual([undefined, 'v2 serves; waiting for the post-switch verdict before the release completes']);
    const passed = after('passed', 'pass: …');
    const counted = planBlueGreen({ rollout: passed, servers, now: T0 + 30_001 });
    expect(counted.patch).toMatchObject({ progressState: { gate: 'post-switch', judged: true } });
    const done = planBlueGreen({ rollout: { ...passed, ...counted.patch, spec: passed.spec } as BG, servers: v2Only, now: T0 + 31_000 });
    expect(done.patch.phase).toBe('Completed');
  });

  it('rolls back on a failing verdict: new sessions to v1 again, drain notices called off, v2 players left alone', () => {
    const p = planBlueGreen({ rollout: after('failed', 'fail: abnormal_close_rate 0.4', { drainNoticeAt: T0 + 1_000 }), servers, now: T0 + 30_001 });
    expect(p.patch).toMatchObject({ phase: 'Failed', message: 'post-switch analysis failed: fail: abnormal_close_rate 0.4' });
    expect(p.routing?.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
    expect(p.notices).toEqual([{ serverId: 'o1', notice: { type: 'drain-cancelled', at: T0 + 30_001 } }]);
    expect([p.migrate, p.closeSessions]).toEqual([[], undefined]);
  });

  it('keeps the switch on an inconclusive verdict and says so', () => {
    const p = planBlueGreen({ rollout: after('inconclusive', 'inconclusive: 3 samples'), servers, now: T0 + 30_001 });
    expect(p.patch).toMatchObject({ progressState: { judged: true }, message: 'post-switch analysis inconclusive (inconclusive: 3 samples); abort rolls back. v1: 1 servers left' });
    expect(p.patch.phase).toBeUndefined();
  });
});
