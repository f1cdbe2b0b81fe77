import { describe, expect, it } from 'vitest';
import { planAbort, planPromote } from '../../commands.js';
import type { Rollout } from '../../model.js';
import { fleetRoles } from '../../roles.js';
import type { RolloutServer } from '../../strategy.js';
import { canary, canaryTarget, validateCanary } from './index.js';
import { canaryProgress, planCanary, runningCanaryCheck } from './plan.js';
import type { CanarySpec, CanaryStep } from './spec.js';

const T0 = 5_000_000;
const SMOKE = { kind: 'http' as const, port: 'game', path: '/healthz', expectStatus: 200, timeoutSeconds: 5 };
const HOOK = { url: 'http://127.0.0.1:9/check', timeoutSeconds: 5 };
const STEPS: CanaryStep[] = [{ setWeight: 20 }, { pause: { seconds: 30 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }];

export const canarySpec = (over: Partial<CanarySpec> = {}): CanarySpec => ({
  strategy: 'canary', steps: STEPS, cohort: null, smoke: null, drain: null, oldIdleSeconds: 5, readyTimeoutSeconds: 60, maxStartFailures: 3, ...over,
});
type CanaryRollout = Rollout & { spec: CanarySpec };
const rollout = (over: Partial<Omit<Rollout, 'spec'>> & { spec?: CanarySpec } = {}): CanaryRollout => ({
  id: 'ro_1', fleet: 'arena', fromBuild: 'v1', toBuild: 'v2', spec: canarySpec(),
  phase: 'Provisioning', message: '', targetServers: 1, startFailures: 0, lastFailure: null, smoke: null,
  createdAt: T0, updatedAt: T0, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null,
  migratedAt: null, completedAt: null, abortedAt: null, failedAt: null, ...over,
});
const s = (id: string, build: string, state: RolloutServer['state'] = 'Ready', used = 0): RolloutServer => ({ id, build, state, used });
const old = [s('o1', 'v1', 'Active', 3), s('o2', 'v1', 'Active', 1)];
const fleet = [...old, s('n1', 'v2')];

/** Applies a plan's patch, as the service does, so a test can walk a release pass by pass. */
function step(r: CanaryRollout, servers: RolloutServer[], now: number): { r: CanaryRollout; plan: ReturnType<typeof planCanary> } {
  const plan = planCanary({ rollout: r, servers, now });
  return { r: { ...r, ...plan.patch, spec: r.spec }, plan };
}

describe('planCanary', () => {
  it('waits while the canary servers are not Ready, and sends nobody to them', () => {
    const p = planCanary({ rollout: rollout(), servers: [...old, s('n1', 'v2', 'Starting')], now: T0 + 1000 });
    expect(p.routing).toBeNull();
    expect(p.patch).toEqual({ message: 'waiting for v2: 0/1 canary servers Ready' });
  });

  it('gives the canary its first weight once Ready and stops at the first pause', () => {
    const p = planCanary({ rollout: rollout(), servers: fleet, now: T0 + 2000 });
    expect(p.routing).toEqual({ entries: [{ build: 'v1', weight: 80 }, { build: 'v2', weight: 20 }], rules: [], salt: 'ro_1' });
    expect(p.patch).toMatchObject({ phase: 'Paused', readyAt: T0 + 2000, switchedAt: T0 + 2000, message: 'step 2/5: paused at 20% for 30s' });
    expect(p.patch.progressState).toEqual({ step: 1, stepStartedAt: T0 + 2000, weight: 20, promotedStep: null, weights: [{ weight: 20, at: T0 + 2000 }] });
  });

  it.each([
    ['before the timed pause ends', 29_999, null, undefined],
    ['when the timed pause ends', 30_000, 50, 'step 4/5: paused at 50% until promote'],
  ])('%s: %s ms → weight %s', (_when, after, weight, message) => {
    const paused = step(rollout(), fleet, T0).r;
    const p = planCanary({ rollout: paused, servers: fleet, now: T0 + after });
    expect(p.routing?.entries[1]?.weight ?? null).toBe(weight);
    expect(p.patch.message).toBe(message);
  });

  it('holds a pause without a duration until promote, then goes on to 100 % and drains', () => {
    let r = step(rollout(), fleet, T0).r;
    r = step(r, fleet, T0 + 30_000).r;
    expect(planCanary({ rollout: r, servers: fleet, now: T0 + 9_999_000 }).patch).toEqual({});
    r = { ...r, ...planPromote(r, {}, T0 + 40_000) } as CanaryRollout;
    const { r: full, plan } = step(r, fleet, T0 + 41_000);
    expect(plan.routing?.entries).toEqual([{ build: 'v1', weight: 0 }, { build: 'v2', weight: 100 }]);
    expect(full.phase).toBe('Draining');
    expect(canaryProgress(full).weights.map((w) => w.weight)).toEqual([20, 50, 100]);
  });

  it('completes once no old server is left, and hands the fleet to the canary build', () => {
    const draining = rollout({ phase: 'Draining', switchedAt: T0, progressState: { step: 5, weight: 100, weights: [{ weight: 100, at: T0 }] } });
    expect(planCanary({ rollout: draining, servers: fleet, now: T0 + 10 }).patch.phase).toBeUndefined();
    const done = planCanary({ rollout: draining, servers: [s('n1', 'v2')], now: T0 + 10 });
    expect(done.patch).toMatchObject({ phase: 'Completed', completedAt: T0 + 10 });
    expect(done.completeFleetWith).toBe('v2');
    expect(done.routing).toEqual({ entries: [{ build: 'v2', weight: 100 }] });
  });

  it('sends the drain notice and migrates at a deadline counted from 100 %', () => {
    const spec = canarySpec({ drain: { deadlineSeconds: 100, noticeLeadSeconds: 30 } });
    const r = rollout({ spec, phase: 'Draining', switchedAt: T0 - 50_000, progressState: { step: 5, weight: 100, weights: [{ weight: 100, at: T0 }] } });
    expect(planCanary({ rollout: r, servers: old, now: T0 + 69_000 }).notices).toEqual([]);
    expect(planCanary({ rollout: r, servers: old, now: T0 + 70_000 }).notices.map((n) => n.serverId)).toEqual(['o1', 'o2']);
    expect(planCanary({ rollout: { ...r, drainNoticeAt: T0 + 70_000 }, servers: old, now: T0 + 100_000 }).migrate).toEqual(['o1', 'o2']);
  });

  it.each([
    ['an allow-list', { players: ['alice', 'bob'], attributes: {}, regions: [] }, [{ name: 'canary-players', build: 'v2', players: ['alice', 'bob'] }]],
    ['an attribute and a region', { players: [], attributes: { beta: 'true' }, regions: ['eu-west'] }, [
      { name: 'canary-segment', build: 'v2', when: [{ type: 'attribute', key: 'beta', values: ['true'] }, { type: 'region', values: ['eu-west'] }] },
    ]],
  ])('sends a cohort (%s) to the canary from the first step, even at 0 %', (_what, cohort, rules) => {
    const spec = canarySpec({ cohort, steps: [{ pause: {} }, { setWeight: 100 }] });
    const p = planCanary({ rollout: rollout({ spec }), servers: fleet, now: T0 });
    expect(p.routing).toEqual({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }], rules, salt: 'ro_1' });
    expect(p.patch).toMatchObject({ phase: 'Paused', switchedAt: T0 });
  });

  it('has routed nothing while the canary has no weight and no cohort', () => {
    const spec = canarySpec({ steps: [{ pause: {} }, { setWeight: 100 }] });
    const { r } = step(rollout({ spec }), fleet, T0);
    expect(r.switchedAt).toBeNull();
    expect(canary.hasRouted(r)).toBe(false);
    expect(canary.hasRouted(step(rollout(), fleet, T0).r)).toBe(true);
  });

  it('smoke-checks a canary server before its first weight when the spec has a smoke check', () => {
    const p = planCanary({ rollout: rollout({ spec: canarySpec({ smoke: SMOKE }) }), servers: fleet, now: T0 });
    expect(p.check).toEqual({ serverId: 'n1', smoke: SMOKE });
    expect(p.routing?.entries[1]?.weight).toBe(0);
    expect(p.patch).toMatchObject({ phase: 'Verifying', smoke: { state: 'running', serverId: 'n1' }, message: 'step 1/6: smoke check on n1 at 0%' });
  });

  it.each([
    ['a smoke check', { smoke: SMOKE }, { serverId: 'n1', smoke: SMOKE }],
    ['a webhook', { webhook: HOOK }, { serverId: 'n1', webhook: HOOK, payload: { rollout: 'ro_1', fleet: 'arena', strategy: 'canary', fromBuild: 'v1', toBuild: 'v2', step: 2, steps: 3, weight: 10 } }],
  ])('runs an analysis step (%s) at the weight reached, then goes on when it passes', (_what, analysis, check) => {
    const spec = canarySpec({ steps: [{ setWeight: 10 }, { analysis }, { setWeight: 100 }] });
    const { r, plan } = step(rollout({ spec }), fleet, T0);
    expect(plan.check).toEqual(check);
    expect(r.phase).toBe('Verifying');
    expect(runningCanaryCheck(r)).toEqual(check);
    expect(planCanary({ rollout: r, servers: fleet, now: T0 + 1 })).toEqual({ patch: {}, routing: null, smokeOn: null, notices: [], migrate: [], completeFleetWith: null });
    const passed = { ...r, smoke: { ...r.smoke!, state: 'passed' as const, finishedAt: T0 + 2 } };
    const next = planCanary({ rollout: passed, servers: fleet, now: T0 + 3 });
    expect(next.routing?.entries[1]?.weight).toBe(100);
    expect(next.patch.phase).toBe('Draining');
  });

  it('fails a release whose analysis fails and sends new sessions back to the old build', () => {
    const spec = canarySpec({ steps: [{ setWeight: 10 }, { analysis: { webhook: HOOK } }, { setWeight: 100 }] });
    const { r } = step(rollout({ spec, previousRouting: { entries: [{ build: 'v1', weight: 100 }] } }), fleet, T0);
    const failed = planCanary({ rollout: { ...r, smoke: { ...r.smoke!, state: 'failed', detail: 'POST http://127.0.0.1:9/check → 500' } }, servers: fleet, now: T0 + 5 });
    expect(failed.patch).toMatchObject({ phase: 'Failed', failedAt: T0 + 5, message: 'step 2/3: analysis failed on n1: POST http://127.0.0.1:9/check → 500' });
    expect(failed.routing).toEqual({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] });
  });

  it('waits for a Ready canary server before a smoke check, but not before a webhook', () => {
    const spec = canarySpec({ steps: [{ analysis: { smoke: SMOKE } }, { setWeight: 100 }] });
    const r = rollout({ spec, phase: 'Progressing', readyAt: T0, progressState: { step: 0, stepStartedAt: T0, weight: 0, weights: [] } });
    expect(planCanary({ rollout: r, servers: old, now: T0 }).patch).toMatchObject({ message: 'step 1/2: waiting for a Ready v2 server to check' });
    const hook = rollout({ ...r, spec: canarySpec({ steps: [{ analysis: { webhook: HOOK } }, { setWeight: 100 }] }) });
    expect(planCanary({ rollout: hook, servers: old, now: T0 }).check).toMatchObject({ serverId: '', webhook: HOOK });
  });

  it.each(['Provisioning', 'Progressing', 'Paused', 'Verifying'] as const)('fails a crash-looping canary in %s and restores the routing', (phase) => {
    const p = planCanary({ rollout: rollout({ phase, startFailures: 3, lastFailure: 'exit code 1' }), servers: fleet, now: T0 });
    expect(p.patch).toMatchObject({ phase: 'Failed', message: 'build v2 failed to start 3 times; last failure: exit code 1' });
    expect(p.routing?.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
  });

  it('fails a canary whose servers are not Ready within the ready timeout', () => {
    expect(planCanary({ rollout: rollout(), servers: [s('n1', 'v2', 'Starting')], now: T0 + 61_000 }).patch.phase).toBe('Failed');
  });

  it.each(['Completed', 'Aborted', 'Failed', 'Superseded'] as const)('does nothing once %s', (phase) => {
    expect(planCanary({ rollout: rollout({ phase }), servers: fleet, now: T0 })).toEqual({ patch: {}, routing: null, smokeOn: null, notices: [], migrate: [], completeFleetWith: null });
  });
});

describe('canary validation', () => {
  it.each<[string, string, CanaryStep[]]>([
    ['steps that never reach 100', 'ROLLOUT_STEPS_INVALID', [{ setWeight: 10 }, { setWeight: 50 }]],
    ['steps that end on a pause', 'ROLLOUT_STEPS_INVALID', [{ setWeight: 10 }, { setWeight: 100 }, { pause: {} }]],
    ['only pauses', 'ROLLOUT_STEPS_INVALID', [{ pause: { seconds: 5 } }]],
    ['a weight that goes down', 'ROLLOUT_STEPS_INVALID', [{ setWeight: 50 }, { setWeight: 20 }, { setWeight: 100 }]],
  ])('refuses %s with %s', (_what, code, steps) => {
    expect(() => validateCanary(canarySpec({ steps }))).toThrow(expect.objectContaining({ code }));
  });

  it('refuses a cohort without criteria with ROUTING_INVALID', () => {
    expect(() => validateCanary(canarySpec({ cohort: { players: [], attributes: {}, regions: [] } }))).toThrow(expect.objectContaining({ code: 'ROUTING_INVALID' }));
  });

  it.each<[string, CanaryStep[]]>([
    ['straight to 100', [{ setWeight: 100 }]],
    ['equal weights in a row', [{ setWeight: 10 }, { setWeight: 10 }, { setWeight: 100 }]],
    ['100 before a last pause and 100', [{ setWeight: 100 }, { pause: {} }, { setWeight: 100 }]],
  ])('accepts %s', (_what, steps) => {
    expect(() => validateCanary(canarySpec({ steps }))).not.toThrow();
  });

  it.each([
    [[{ setWeight: 20 }, { setWeight: 100 }], 10, 2],
    [[{ pause: {} }, { setWeight: 5 }, { setWeight: 100 }], 10, 1],
    [[{ setWeight: 100 }], 6, 6],
    [[{ setWeight: 100 }], 20, 8],
  ] as [CanaryStep[], number, number][])('starts canary servers for the first weight (%j of %i old servers → %i)', (steps, running, want) => {
    expect(canaryTarget(canarySpec({ steps }), { maxServers: 8 }, running)).toBe(want);
  });
});

describe('canary commands and roles', () => {
  it('promote continues a paused canary and is refused in any other phase', () => {
    const paused = step(rollout(), fleet, T0).r;
    expect(planPromote(paused, {}, T0 + 1)).toMatchObject({ promotedAt: T0 + 1, progressState: { promotedStep: 1 } });
    expect(() => planPromote(rollout(), {}, T0)).toThrow(expect.objectContaining({ code: 'ROLLOUT_INVALID_PHASE' }));
    expect(() => planPromote(paused, { variant: 'B' }, T0)).toThrow(expect.objectContaining({ code: 'ROLLOUT_VARIANTS_INVALID' }));
  });

  it('abort restores the routing from before the release, cohort included', () => {
    const r = step(rollout({ spec: canarySpec({ cohort: { players: ['alice'], attributes: {}, regions: [] } }), previousRouting: { entries: [{ build: 'v1', weight: 100 }] } }), fleet, T0).r;
    const p = planAbort(r, fleet, T0 + 5);
    expect(p.patch.phase).toBe('Aborted');
    expect(p.routing).toEqual({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] });
  });

  it.each([
    ['Provisioning', 0, { v1: { role: 'routed', share: 1 }, v2: { role: 'preview', target: 1 } }],
    ['Paused', 0, { v1: { role: 'routed', share: 1 }, v2: { role: 'preview', target: 1 } }],
    ['Paused', 20, { v1: { role: 'routed', share: 0.8 }, v2: { role: 'routed', share: 0.2 } }],
    ['Draining', 100, { v1: { role: 'retiring', idleSeconds: 5 }, v2: { role: 'routed', share: 1 } }],
    ['Aborted', 20, { v1: { role: 'routed', share: 1 }, v2: { role: 'retiring', idleSeconds: 5 } }],
  ] as const)('gives builds their roles in %s at %i %%: %j', (phase, weight, roles) => {
    const r = rollout({ phase, progressState: { step: 1, weight, weights: [] } });
    const routing = phase === 'Aborted' || phase === 'Provisioning' ? { entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] } : { entries: [{ build: 'v1', weight: 100 - weight }, { build: 'v2', weight }] };
    expect(Object.fromEntries(fleetRoles(routing, 600, r))).toEqual(roles);
  });
});
