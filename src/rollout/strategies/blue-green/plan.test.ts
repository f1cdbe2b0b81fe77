import { describe, expect, it } from 'vitest';
import { planAbort, planPromote } from '../../commands.js';
import type { Rollout } from '../../model.js';
import { fleetRoles } from '../../roles.js';
import type { RolloutServer } from '../../strategy.js';
import { previewTarget } from './index.js';
import { planBlueGreen } from './plan.js';
import type { BlueGreenSpec } from './spec.js';

const T0 = 5_000_000;
// A blue-green rollout; `over.spec` is a blue-green spec in every test here.
const rollout = (over: Partial<Rollout> = {}): Rollout & { spec: BlueGreenSpec } => ({
  id: 'ro_1', fleet: 'arena', fromBuild: 'v1', toBuild: 'v2',
  spec: { strategy: 'blue-green', autoPromote: true, smoke: null, drain: null, oldIdleSeconds: 5, readyTimeoutSeconds: 60, maxStartFailures: 3 },
  phase: 'Provisioning', message: '', targetServers: 2, startFailures: 0, lastFailure: null, smoke: null,
  createdAt: T0, updatedAt: T0, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null,
  migratedAt: null, completedAt: null, abortedAt: null, failedAt: null, ...over,
}) as Rollout & { spec: BlueGreenSpec };
const s = (id: string, build: string, state: RolloutServer['state'] = 'Ready', used = 0): RolloutServer => ({ id, build, state, used });
const old = [s('o1', 'v1', 'Active', 3), s('o2', 'v1', 'Active', 1)];

describe('planBlueGreen', () => {
  it('waits while the new build is not Ready on every target server', () => {
    const p = planBlueGreen({ rollout: rollout(), servers: [...old, s('n1', 'v2'), s('n2', 'v2', 'Starting')], now: T0 + 1000 });
    expect(p.routing).toBeNull();
    expect(p.patch).toEqual({ message: 'waiting for v2: 1/2 servers Ready' });
  });

  it('switches all new sessions to the new build as soon as it is Ready', () => {
    const p = planBlueGreen({ rollout: rollout(), servers: [...old, s('n1', 'v2'), s('n2', 'v2')], now: T0 + 2000 });
    expect(p.routing?.entries).toEqual([{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }]);
    expect(p.patch).toMatchObject({ phase: 'Draining', readyAt: T0 + 2000, switchedAt: T0 + 2000 });
    expect(p.migrate).toEqual([]);
  });

  it('runs the smoke check before switching when one is configured', () => {
    const spec = { ...rollout().spec, smoke: { kind: 'http' as const, port: 'game', path: '/healthz', expectStatus: 200, timeoutSeconds: 5 } };
    const p = planBlueGreen({ rollout: rollout({ spec }), servers: [s('n1', 'v2'), s('n2', 'v2')], now: T0 + 1 });
    expect(p.smokeOn).toBe('n1');
    expect(p.routing).toBeNull();
    expect(p.patch.phase).toBe('Verifying');
  });

  it('switches after a passing smoke check and fails the release after a failing one', () => {
    const verifying = (state: 'passed' | 'failed') =>
      rollout({ phase: 'Verifying', smoke: { state, serverId: 'n1', startedAt: T0, finishedAt: T0 + 1, detail: 'HTTP 500' } });
    expect(planBlueGreen({ rollout: verifying('passed'), servers: [], now: T0 + 2 }).patch.phase).toBe('Draining');
    const failed = planBlueGreen({ rollout: verifying('failed'), servers: [], now: T0 + 2 });
    expect(failed.patch).toMatchObject({ phase: 'Failed', message: 'smoke check failed on n1: HTTP 500' });
    expect(failed.routing?.entries[0]).toEqual({ build: 'v1', weight: 100 });
  });

  it('waits for promote when auto-promotion is off', () => {
    const spec = { ...rollout().spec, autoPromote: false };
    const p = planBlueGreen({ rollout: rollout({ spec }), servers: [s('n1', 'v2'), s('n2', 'v2')], now: T0 + 1 });
    expect(p.patch.phase).toBe('AwaitingPromotion');
    expect(p.routing).toBeNull();
    const promoted = rollout({ spec, phase: 'AwaitingPromotion', ...planPromote(rollout({ spec, phase: 'AwaitingPromotion' }), {}, T0 + 5) });
    expect(planBlueGreen({ rollout: promoted, servers: [], now: T0 + 6 }).patch.phase).toBe('Draining');
  });

  it('never gives the switch to a crash-looping build and says why', () => {
    const p = planBlueGreen({ rollout: rollout({ startFailures: 3, lastFailure: 'exit code 1 (log: /x.log)' }), servers: [s('n1', 'v2')], now: T0 + 1 });
    expect(p.patch.phase).toBe('Failed');
    expect(p.patch.message).toContain('failed to start 3 times; last failure: exit code 1');
    expect(p.routing?.entries[0]?.build).toBe('v1');
  });

  it('fails a release whose build is not Ready within the ready timeout', () => {
    const p = planBlueGreen({ rollout: rollout(), servers: [s('n1', 'v2', 'Starting')], now: T0 + 61_000 });
    expect(p.patch).toMatchObject({ phase: 'Failed' });
  });

  it('keeps draining while any old server is still up, and completes once none is', () => {
    const draining = rollout({ phase: 'Draining', switchedAt: T0 });
    expect(planBlueGreen({ rollout: draining, servers: [...old, s('n1', 'v2')], now: T0 + 10 }).patch.phase).toBeUndefined();
    const done = planBlueGreen({ rollout: draining, servers: [s('n1', 'v2')], now: T0 + 10 });
    expect(done.patch).toMatchObject({ phase: 'Completed', completedAt: T0 + 10 });
    expect(done.completeFleetWith).toBe('v2');
  });

  it('sends the drain notice at the lead time and migrates what is left at the deadline', () => {
    const spec = { ...rollout().spec, drain: { deadlineSeconds: 100, noticeLeadSeconds: 30 } };
    const r = rollout({ spec, phase: 'Draining', switchedAt: T0 });
    expect(planBlueGreen({ rollout: r, servers: old, now: T0 + 69_000 }).notices).toEqual([]);
    const notice = planBlueGreen({ rollout: r, servers: old, now: T0 + 70_000 });
    expect(notice.notices.map((n) => n.serverId)).toEqual(['o1', 'o2']);
    expect(notice.notices[0]?.notice).toMatchObject({ type: 'drain', deadline: T0 + 100_000 });
    expect(notice.migrate).toEqual([]);
    const atDeadline = planBlueGreen({ rollout: { ...r, drainNoticeAt: T0 + 70_000 }, servers: [...old, s('o3', 'v1', 'Ready', 0)], now: T0 + 100_000 });
    expect(atDeadline.migrate).toEqual(['o1', 'o2']);
    expect(atDeadline.notices).toEqual([]);
  });

  it('does nothing for a finished rollout', () => {
    for (const phase of ['Completed', 'Aborted', 'Failed'] as const) {
      const p = planBlueGreen({ rollout: rollout({ phase }), servers: old, now: T0 });
      expect(p).toEqual({ patch: {}, routing: null, smokeOn: null, notices: [], migrate: [], completeFleetWith: null });
    }
  });
});

describe('rollout commands', () => {
  it('abort routes new sessions back to the old build and cancels announced drains', () => {
    const r = rollout({ phase: 'Draining', switchedAt: T0, drainNoticeAt: T0 + 1 });
    const p = planAbort(r, [...old, s('n1', 'v2', 'Active', 2)], T0 + 5);
    expect(p.routing?.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
    expect(p.patch.phase).toBe('Aborted');
    expect(p.notices.map((n) => [n.serverId, n.notice.type])).toEqual([['o1', 'drain-cancelled'], ['o2', 'drain-cancelled']]);
  });

  it.each(['Completed', 'Aborted', 'Failed'] as const)('refuses to abort a %s rollout with ROLLOUT_INVALID_PHASE', (phase) => {
    expect(() => planAbort(rollout({ phase }), [], T0)).toThrow(expect.objectContaining({ code: 'ROLLOUT_INVALID_PHASE' }));
  });

  it('refuses promote outside AwaitingPromotion', () => {
    expect(() => planPromote(rollout(), {}, T0)).toThrow(expect.objectContaining({ code: 'ROLLOUT_INVALID_PHASE' }));
  });
});

describe('previewTarget', () => {
  it.each([
    [{ minServers: 2, maxServers: 10 }, 5, 5],
    [{ minServers: 2, maxServers: 10 }, 0, 2],
    [{ minServers: 0, maxServers: 10 }, 0, 1],
    [{ minServers: 2, maxServers: 4 }, 9, 4],
  ])('brings up as many new servers as the old build runs, within min and max (%o, %i running → %i)', (capacity, running, target) => {
    expect(previewTarget(capacity, running)).toBe(target);
  });
});

describe('fleetRoles', () => {
  it('previews the new build before the switch and retires the old one after it', () => {
    const routing = { entries: [{ build: 'v1', weight: 100 }] };
    expect(Object.fromEntries(fleetRoles(routing, 600, rollout()))).toEqual({
      v1: { role: 'routed', share: 1 }, v2: { role: 'preview', target: 2 },
    });
    const switched = { entries: [{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }] };
    expect(Object.fromEntries(fleetRoles(switched, 600, rollout({ phase: 'Draining' })))).toEqual({
      v2: { role: 'routed', share: 1 }, v1: { role: 'retiring', idleSeconds: 5 },
    });
  });

  it('retires the new build on the release idle time after an abort', () => {
    const back = { entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] };
    expect(fleetRoles(back, 600, rollout({ phase: 'Aborted' })).get('v2')).toEqual({ role: 'retiring', idleSeconds: 5 });
  });
});
