import { describe, expect, it } from 'vitest';
import { fleetRoles } from '../../roles.js';
import { planAbort, planPromote } from '../../commands.js';
import { maintenance } from './index.js';
import { planMaintenance } from './plan.js';
import { after, MIN, progress, rollout, server as s, spec, T0, type MaintenanceRollout } from './testing.js';

const START = T0 + 10 * MIN;
const NOTICE_AT = START - 5 * MIN;
const END = START + 15 * MIN;
const old = [s('o1', 'v1', 'Active', 3), s('o2', 'v1', 'Active', 1)];

/** The release once its window has opened at START with `servers` (and told them at NOTICE_AT). */
function opened(servers = old, over: Parameters<typeof rollout>[0] = {}, maxServers = 4): MaintenanceRollout {
  const r = rollout(over, maxServers);
  const noticed = after(r, planMaintenance({ rollout: r, servers, now: NOTICE_AT }));
  return after(noticed, planMaintenance({ rollout: noticed, servers, now: START }));
}

describe('planMaintenance before the window', () => {
  it('does nothing before the notice lead time', () => {
    expect(planMaintenance({ rollout: rollout(), servers: old, now: NOTICE_AT - 1 })).toEqual({
      patch: {}, routing: null, smokeOn: null, notices: [], migrate: [], completeFleetWith: null,
    });
  });

  it('sends every listening server the maintenance notice with the start time at the lead time', () => {
    const p = planMaintenance({ rollout: rollout(), servers: [...old, s('o3', 'v1', 'Starting')], now: NOTICE_AT });
    expect(p.notices.map((n) => n.serverId)).toEqual(['o1', 'o2']);
    expect(p.notices[0]?.notice).toMatchObject({ type: 'maintenance', startsAt: START, at: NOTICE_AT });
    expect(p.routing).toBeNull();
    expect(progress(p.patch)).toMatchObject({ noticeSentAt: NOTICE_AT, noticed: ['o1', 'o2'] });
  });

  it('tells a server that comes up after the notice on the next pass, once, and writes nothing when no one is new', () => {
    const r = after(rollout(), planMaintenance({ rollout: rollout(), servers: old, now: NOTICE_AT }));
    const later = planMaintenance({ rollout: r, servers: [...old, s('o3', 'v1')], now: NOTICE_AT + 1000 });
    expect(later.notices.map((n) => n.serverId)).toEqual(['o3']);
    expect(progress(later.patch)).toMatchObject({ noticeSentAt: NOTICE_AT, noticed: ['o1', 'o2', 'o3'] });
    expect(planMaintenance({ rollout: after(r, later), servers: [...old, s('o3', 'v1')], now: NOTICE_AT + 2000 }).patch).toEqual({});
  });

  it('uses the operator message when there is one', () => {
    const r = rollout({ spec: spec({ message: 'Back at 05:00 UTC with the winter map' }) });
    expect(planMaintenance({ rollout: r, servers: old, now: NOTICE_AT }).notices[0]?.notice).toMatchObject({ message: 'Back at 05:00 UTC with the winter map' });
  });

  it('is not routed yet, so a later release must replace it rather than supersede it', () => {
    expect(maintenance.hasRouted(rollout())).toBe(false);
    expect(fleetRoles({ entries: [{ build: 'v1', weight: 100 }] }, 600, rollout()).get('v2')).toBeUndefined();
  });
});

describe('planMaintenance at the start of the window', () => {
  it('closes the fleet until the expected end and tells the old servers to drain with the deadline', () => {
    const r = after(rollout(), planMaintenance({ rollout: rollout(), servers: old, now: NOTICE_AT }));
    const p = planMaintenance({ rollout: r, servers: [...old, s('n1', 'v2', 'Starting')], now: START });
    expect(p.routing).toEqual({ entries: [{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }], closed: { until: END, reason: 'maintenance: v1 → v2' } });
    expect(p.notices.map((n) => [n.serverId, n.notice])).toEqual([
      ['o1', { type: 'drain', reason: 'maintenance', deadline: START + MIN, at: START }],
      ['o2', { type: 'drain', reason: 'maintenance', deadline: START + MIN, at: START }],
    ]);
    expect(p.patch).toMatchObject({ phase: 'Progressing', switchedAt: START, drainNoticeAt: START });
    expect(progress(p.patch)).toMatchObject({ startedAt: START, sessionDeadlineAt: START + MIN, oldBuilds: ['v1'], drained: ['o1', 'o2'] });
    expect(p.closeSessions).toBeUndefined();
    expect(maintenance.hasRouted(after(r, p))).toBe(true);
  });

  it('still tells every server of the maintenance first when the lead time passed unobserved', () => {
    const p = planMaintenance({ rollout: rollout(), servers: old, now: START + 2000 });
    expect(p.notices.map((n) => `${n.serverId}:${n.notice.type}`)).toEqual(['o1:maintenance', 'o2:maintenance', 'o1:drain', 'o2:drain']);
    // The deadline runs from when the players were really told, not from the schedule.
    expect(progress(p.patch).sessionDeadlineAt).toBe(START + 2000 + MIN);
  });

  it.each([
    // old servers still up, fleet maxServers → new-build servers the window may start now
    [4, 4, 0],
    [3, 4, 1],
    [1, 4, 2],
    [0, 4, 2],
    [2, 2, 0],
  ])('restarts the fleet in place: with %i old servers up and maxServers %i, starts %i new servers', (up, maxServers, target) => {
    const servers = Array.from({ length: up }, (_, i) => s(`o${i}`, 'v1', 'Active', 1));
    const r = opened(servers, {}, maxServers);
    expect(fleetRoles({ entries: [{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }] }, 600, r)).toEqual(
      new Map([['v2', { role: 'preview', target }], ['v1', { role: 'retiring', idleSeconds: 0 }]]),
    );
  });
});

describe('planMaintenance during the window', () => {
  it('leaves sessions alone before the deadline and closes them as maintenance at it, only on servers told to drain', () => {
    const r = opened();
    expect(planMaintenance({ rollout: r, servers: old, now: START + MIN - 1 }).closeSessions).toBeUndefined();
    const p = planMaintenance({ rollout: r, servers: [...old, s('n1', 'v2', 'Starting')], now: START + MIN });
    expect(p.closeSessions).toEqual({ serverIds: ['o1', 'o2'], reason: 'maintenance' });
    expect(p.migrate).toEqual([]);
    expect(progress(p.patch)).toMatchObject({ sessionsClosedAt: START + MIN, sessionsClosed: 4 });
  });

  it('never closes a session when the window has no session deadline', () => {
    const r = opened(old, { spec: spec({ sessionDeadlineSeconds: null }) });
    expect(progress(r).sessionDeadlineAt).toBeNull();
    expect(planMaintenance({ rollout: r, servers: old, now: END + 60 * MIN }).closeSessions).toBeUndefined();
  });

  it('keeps the fleet closed while the new build is not Ready, and says what it waits for', () => {
    const r = opened();
    const p = planMaintenance({ rollout: r, servers: [s('o1', 'v1', 'Active', 3), s('n1', 'v2', 'Starting')], now: START + 1000 });
    expect(p.routing).toBeNull();
    expect(p.patch.message).toBe('maintenance: allocations stopped; v1: 1 servers, 3 sessions left; v2: 0/2 Ready');
    expect(progress(p.patch).room).toBe(3);
  });

  it('reopens on the new build once it is Ready and moves on to draining the old servers that still host sessions', () => {
    const r = opened(old, { spec: spec({ sessionDeadlineSeconds: null }) });
    const p = planMaintenance({ rollout: r, servers: [...old, s('n1', 'v2'), s('n2', 'v2')], now: START + 3 * MIN });
    expect(p.routing).toEqual({ entries: [{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }] });
    expect(p.patch).toMatchObject({ phase: 'Draining', readyAt: START + 3 * MIN });
    expect(progress(p.patch)).toMatchObject({ reopenedAt: START + 3 * MIN, downtimeMs: 3 * MIN, overrunMs: 0 });
  });

  it.each([
    ['within the window', START + 5 * MIN, 5 * MIN, 0],
    ['past its expected end', END + 2 * MIN, 17 * MIN, 2 * MIN],
  ])('completes when it reopens with the old build gone %s, counting the downtime and any overrun', (_when, now, downtimeMs, overrunMs) => {
    const p = planMaintenance({ rollout: opened(), servers: [s('n1', 'v2'), s('n2', 'v2')], now });
    expect(p.patch).toMatchObject({ phase: 'Completed', completedAt: now });
    expect(p.routing).toEqual({ entries: [{ build: 'v2', weight: 100 }] });
    expect(p.completeFleetWith).toBe('v2');
    expect(progress(p.patch)).toMatchObject({ downtimeMs, overrunMs });
  });

  it('reopens with the servers the old build leaves room for when old sessions hold the rest of the fleet', () => {
    const full = [s('o1', 'v1', 'Active', 1), s('o2', 'v1', 'Active', 1), s('o3', 'v1', 'Active', 1)];
    const r = opened(full, { spec: spec({ sessionDeadlineSeconds: null }) }, 4);
    expect(planMaintenance({ rollout: r, servers: [...full, s('n1', 'v2')], now: START + MIN }).patch.phase).toBe('Draining');
  });

  it('fails back to the old build and cancels the drain when the new build crash-loops', () => {
    const r = { ...opened(), startFailures: 3, lastFailure: 'exit code 1' };
    const p = planMaintenance({ rollout: r, servers: [s('o1', 'v1', 'Active', 1)], now: START + MIN / 2 });
    expect(p.patch).toMatchObject({ phase: 'Failed', failedAt: START + MIN / 2, message: 'build v2 failed to start 3 times; last failure: exit code 1' });
    expect(p.routing).toEqual({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] });
    expect(p.notices).toEqual([{ serverId: 'o1', notice: { type: 'drain-cancelled', at: START + MIN / 2 } }]);
    expect(fleetRoles(p.routing ?? { entries: [] }, 600, after(r, p)).get('v2')).toEqual({ role: 'retiring', idleSeconds: 0 });
  });
});

describe('planMaintenance after it reopened', () => {
  it('closes stragglers at the deadline and completes once the old servers are gone', () => {
    const r = after(opened(), planMaintenance({ rollout: opened(), servers: [...old, s('n1', 'v2'), s('n2', 'v2')], now: START + 10_000 }));
    expect(r.phase).toBe('Draining');
    expect(planMaintenance({ rollout: r, servers: [...old, s('n1', 'v2', 'Active', 2)], now: START + MIN }).closeSessions).toEqual({ serverIds: ['o1', 'o2'], reason: 'maintenance' });
    const done = planMaintenance({ rollout: r, servers: [s('n1', 'v2', 'Active', 2)], now: START + 2 * MIN });
    expect(done.patch).toMatchObject({ phase: 'Completed' });
    expect(done.completeFleetWith).toBe('v2');
  });
});

describe('maintenance commands', () => {
  it('abort before the notice changes nothing players saw', () => {
    const p = planAbort(rollout(), old, NOTICE_AT - 1);
    expect(p.notices).toEqual([]);
    expect(p.patch.phase).toBe('Aborted');
  });

  it('abort after the notice tells the servers that were told that it is cancelled', () => {
    const r = after(rollout(), planMaintenance({ rollout: rollout(), servers: old, now: NOTICE_AT }));
    const p = planAbort(r, [...old, s('o3', 'v1')], NOTICE_AT + MIN);
    expect(p.notices.map((n) => [n.serverId, n.notice.type])).toEqual([['o1', 'maintenance'], ['o2', 'maintenance']]);
    expect(p.notices[0]?.notice).toMatchObject({ message: 'The scheduled maintenance is cancelled', startsAt: null });
    expect(p.routing).toEqual({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] });
    expect(progress(p.patch)).toMatchObject({ cancelledAt: NOTICE_AT + MIN, downtimeMs: null });
  });

  it('abort during the window reopens the fleet on the old build at once, cancels the drain and counts the downtime so far', () => {
    const p = planAbort(opened(), old, START + 2 * MIN);
    expect(p.routing).toEqual({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] });
    expect(p.routing?.closed).toBeUndefined();
    expect(p.notices.map((n) => `${n.serverId}:${n.notice.type}`)).toEqual(['o1:drain-cancelled', 'o2:drain-cancelled', 'o1:maintenance', 'o2:maintenance']);
    expect(progress(p.patch)).toMatchObject({ cancelledAt: START + 2 * MIN, downtimeMs: 2 * MIN });
  });

  it('refuses promote with ROLLOUT_INVALID_PHASE: the window keeps its schedule', () => {
    expect(() => planPromote(rollout(), {}, T0)).toThrow(expect.objectContaining({ code: 'ROLLOUT_INVALID_PHASE' }));
  });

  it.each(['Completed', 'Aborted', 'Failed'] as const)('refuses to abort a %s maintenance with ROLLOUT_INVALID_PHASE', (phase) => {
    expect(() => planAbort(rollout({ phase }), [], T0)).toThrow(expect.objectContaining({ code: 'ROLLOUT_INVALID_PHASE' }));
  });
});
