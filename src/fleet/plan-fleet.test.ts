import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planFleet, startBackoffMs, type BuildRole, type FleetObservation, type ServerObservation } from './plan-fleet.js';

const NOW = 1_000_000;
const srv = (id: string, over: Partial<ServerObservation> = {}): ServerObservation => ({
  id, build: 'v1', state: 'Ready', used: 0, roster: 0, unverified: false, createdAt: NOW - 100_000, lastHealthAt: NOW - 1000,
  emptySince: NOW - 1000, stopRequestedAt: null, ...over,
});

const obs = (servers: ServerObservation[], roles: Record<string, BuildRole> = { v1: { role: 'routed', share: 1 } }, over: Partial<FleetObservation> = {}): FleetObservation => ({
  capacity: { minServers: 2, maxServers: 10, bufferServers: 1, idleTimeoutSeconds: 60 },
  health: { timeoutSeconds: 15, startTimeoutSeconds: 30 },
  servers, roles: new Map(Object.entries(roles)), startNotBefore: new Map(), observingSince: NOW - 1_000_000, now: NOW, ...over,
});

describe('startBackoffMs', () => {
  it.each([
    [0, 0], [1, 1000], [2, 2000], [3, 4000], [7, 60_000], [30, 60_000],
  ])('waits longer after each failed start in a row, up to the cap (%i failures → %i ms)', (failures, ms) => {
    expect(startBackoffMs(failures, 1000, 60_000)).toBe(ms);
  });
});

describe('planFleet', () => {
  it('starts servers up to the minimum for a new fleet', () => {
    expect(planFleet(obs([]))).toEqual([{ kind: 'start', build: 'v1', count: 2 }]);
  });

  it('keeps a buffer of empty servers above the busy ones', () => {
    const a = planFleet(obs([srv('a', { state: 'Active', used: 3, emptySince: null }), srv('b', { state: 'Active', used: 1, emptySince: null })]));
    expect(a).toEqual([{ kind: 'start', build: 'v1', count: 1 }]);
  });

  it('counts Starting servers so it does not start twice', () => {
    expect(planFleet(obs([srv('a', { state: 'Starting', createdAt: NOW - 1000 }), srv('b', { state: 'Starting', createdAt: NOW - 1000 })]))).toEqual([]);
  });

  it('never exceeds the maximum', () => {
    const busy = Array.from({ length: 10 }, (_, i) => srv(`s${i}`, { state: 'Active', used: 1, emptySince: null }));
    expect(planFleet(obs(busy))).toEqual([]);
  });

  it.each([
    ['no cap: demand and the buffer want a third server', undefined, [{ kind: 'start', build: 'v1', count: 1 }]],
    ['a cap of 2: starts nothing though demand wants more', 2, []],
  ])('keeps a routed build within its cap (%s)', (_case, cap, actions) => {
    const busy = [srv('a', { state: 'Active', used: 3, emptySince: null }), srv('b', { state: 'Active', used: 1, emptySince: null })];
    const role: BuildRole = cap === undefined ? { role: 'routed', share: 1 } : { role: 'routed', share: 1, cap };
    expect(planFleet(obs(busy, { v1: role }))).toEqual(actions);
  });

  it('stops a surplus server only after it has idled for the idle time', () => {
    const fresh = [srv('a'), srv('b'), srv('c', { emptySince: NOW - 10_000 })];
    expect(planFleet(obs(fresh))).toEqual([]);
    const idle = [srv('a'), srv('b'), srv('c', { emptySince: NOW - 61_000 })];
    expect(planFleet(obs(idle))).toEqual([{ kind: 'stop', serverId: 'c', reason: 'scale-down' }]);
  });

  it('starts the preview build up to its target and never gives it sessions to shed', () => {
    const a = planFleet(obs([srv('a', { state: 'Active', used: 2, emptySince: null }), srv('b')], {
      v1: { role: 'routed', share: 1 }, v2: { role: 'preview', target: 2 },
    }));
    expect(a).toContainEqual({ kind: 'start', build: 'v2', count: 2 });
  });

  it('keeps a retiring server while it hosts a session and stops it once idle', () => {
    const roles: Record<string, BuildRole> = { v1: { role: 'retiring', idleSeconds: 5 }, v2: { role: 'routed', share: 1 } };
    const v2 = [srv('n1', { build: 'v2' }), srv('n2', { build: 'v2' })];
    expect(planFleet(obs([srv('old', { state: 'Active', used: 1, emptySince: null }), ...v2], roles))).toEqual([]);
    expect(planFleet(obs([srv('old', { emptySince: NOW - 2000 }), ...v2], roles))).toEqual([]);
    expect(planFleet(obs([srv('old', { emptySince: NOW - 5000 }), ...v2], roles))).toEqual([{ kind: 'stop', serverId: 'old', reason: 'retired' }]);
  });

  it('treats a build nobody routes to as retiring under the fleet idle time', () => {
    const a = planFleet(obs([srv('ghost', { build: 'v0', emptySince: NOW - 61_000 }), srv('a'), srv('b')]));
    expect(a).toEqual([{ kind: 'stop', serverId: 'ghost', reason: 'retired' }]);
  });

  it('marks a server that stopped sending health Unhealthy and replaces it', () => {
    const a = planFleet(obs([srv('a', { state: 'Active', used: 1, emptySince: null, lastHealthAt: NOW - 20_000 }), srv('b')]));
    expect(a).toEqual([{ kind: 'health', serverId: 'a', healthy: false }, { kind: 'start', build: 'v1', count: 1 }]);
  });

  it('stops an empty unhealthy server right away', () => {
    const a = planFleet(obs([srv('a', { lastHealthAt: NOW - 20_000 }), srv('b'), srv('c')]));
    expect(a).toContainEqual({ kind: 'stop', serverId: 'a', reason: 'unhealthy' });
  });

  it('brings an Unhealthy server back when health resumes', () => {
    const a = planFleet(obs([srv('a', { state: 'Unhealthy', used: 2, emptySince: null }), srv('b')]));
    expect(a[0]).toEqual({ kind: 'health', serverId: 'a', healthy: true });
  });

  it('gives up on a server that does not become Ready in time', () => {
    const a = planFleet(obs([srv('a', { state: 'Starting', createdAt: NOW - 31_000 }), srv('b'), srv('c')]));
    expect(a).toContainEqual({ kind: 'stop', serverId: 'a', reason: 'start-timeout' });
  });

  it('holds back new starts during crash-loop backoff', () => {
    expect(planFleet(obs([], undefined, { startNotBefore: new Map([['v1', NOW + 1]]) }))).toEqual([]);
  });

  it('stops a Draining server once it is empty, and not before', () => {
    expect(planFleet(obs([srv('d', { state: 'Draining', used: 1, emptySince: null }), srv('a'), srv('b')]))).toEqual([]);
    expect(planFleet(obs([srv('d', { state: 'Draining' }), srv('a'), srv('b')]))).toEqual([{ kind: 'stop', serverId: 'd', reason: 'drained' }]);
  });

  const server = fc.record({
    id: fc.uuid(),
    build: fc.constantFrom('v1', 'v2', 'v3'),
    state: fc.constantFrom('Starting', 'Ready', 'Active', 'Draining', 'Unhealthy'),
    used: fc.nat(3),
    roster: fc.nat(3),
    unverified: fc.boolean(),
    createdAt: fc.integer({ min: NOW - 200_000, max: NOW }),
    lastHealthAt: fc.option(fc.integer({ min: NOW - 100_000, max: NOW })),
    emptySince: fc.option(fc.integer({ min: NOW - 100_000, max: NOW })),
    stopRequestedAt: fc.constant(null),
  }) as fc.Arbitrary<ServerObservation>;
  const role = fc.oneof(
    fc.record({ role: fc.constant('routed' as const), share: fc.double({ min: 0.1, max: 1, noNaN: true }) }),
    fc.record({ role: fc.constant('preview' as const), target: fc.nat(5) }),
    fc.record({ role: fc.constant('retiring' as const), idleSeconds: fc.nat(100) }),
  );
  const roles = fc.dictionary(fc.constantFrom('v1', 'v2', 'v3'), role);

  it('never stops a server that hosts a session, reports players of its own or is unverified, whatever the fleet looks like (property)', () => {
    const since = fc.integer({ min: NOW - 300_000, max: NOW });
    fc.assert(fc.property(fc.array(server, { maxLength: 15 }), roles, since, (servers, r, observingSince) => {
      const byId = new Map(servers.map((s) => [s.id, s]));
      for (const a of planFleet(obs(servers, r, { observingSince }))) {
        if (a.kind !== 'stop') continue;
        expect(byId.get(a.serverId)).toMatchObject({ used: 0, roster: 0, unverified: false });
      }
    }));
  });

  it('blames no server for a missed deadline right after the control plane resumes or restarts (property)', () => {
    fc.assert(fc.property(fc.array(server, { maxLength: 15 }), roles, fc.nat(15_000), (servers, r, resumedAgo) => {
      for (const a of planFleet(obs(servers, r, { observingSince: NOW - resumedAgo }))) {
        expect(a).not.toMatchObject({ kind: 'health', healthy: false });
        if (a.kind === 'stop') expect(['unhealthy', 'start-timeout']).not.toContain(a.reason);
      }
    }));
  });
});

describe('planFleet after a stall or a restart', () => {
  const stale = { state: 'Active' as const, used: 1, emptySince: null, lastHealthAt: NOW - 20_000 };
  it.each([
    ['a server silent for longer than the timeout, 5 s after a 20 s pause', srv('a', stale), NOW - 5_000, []],
    ['an empty silent server right after a restart', srv('a', { ...stale, used: 0, emptySince: NOW - 30_000 }), NOW, []],
    ['a server still silent a full window after the pause', srv('a', stale), NOW - 16_000, [{ kind: 'health', serverId: 'a', healthy: false }]],
    ['a Starting server whose start window was mostly a pause', srv('a', { state: 'Starting', createdAt: NOW - 31_000 }), NOW - 10_000, []],
    ['a Starting server that took a full window after the pause', srv('a', { state: 'Starting', createdAt: NOW - 31_000 }), NOW - 31_000, [{ kind: 'stop', serverId: 'a', reason: 'start-timeout' }]],
    ['an Unhealthy empty server within the fresh window (neither revived nor stopped)', srv('a', { state: 'Unhealthy', lastHealthAt: NOW - 20_000 }), NOW - 1_000, []],
    ['an Unhealthy empty server still silent after the fresh window', srv('a', { state: 'Unhealthy', lastHealthAt: NOW - 20_000 }), NOW - 16_000, [{ kind: 'stop', serverId: 'a', reason: 'unhealthy' }]],
  ])('judges %s', (_what, s, observingSince, expected) => {
    expect(planFleet(obs([s, srv('b'), srv('c')], undefined, { observingSince }))).toEqual(expected);
  });

  it('brings an Unhealthy server back only on a real ping, not because a pause ended', () => {
    const a = planFleet(obs([srv('a', { state: 'Unhealthy', used: 1, emptySince: null, lastHealthAt: NOW - 20_000 }), srv('b'), srv('c')], undefined, { observingSince: NOW }));
    expect(a).toEqual([]);
  });
});

describe('planFleet and rosters', () => {
  const retiring: Record<string, BuildRole> = { v1: { role: 'retiring', idleSeconds: 5 }, v2: { role: 'routed', share: 1 } };
  const v2 = [srv('n1', { build: 'v2' }), srv('n2', { build: 'v2' })];
  const idle = { emptySince: NOW - 60_000 };
  it.each([
    ['retire an idle server whose own roster still has players', srv('old', { ...idle, roster: 2 }), retiring],
    ['retire an idle server not observed since the restart', srv('old', { ...idle, unverified: true }), retiring],
    ['stop a Draining server whose roster still has a player', srv('old', { ...idle, state: 'Draining', roster: 1 }), retiring],
    ['stop an unverified Draining server', srv('old', { ...idle, state: 'Draining', unverified: true }), retiring],
    ['stop a silent server whose roster has a player', srv('old', { ...idle, lastHealthAt: NOW - 20_000, roster: 1 }), { v1: { role: 'routed', share: 1 } } as Record<string, BuildRole>],
  ])('does not %s', (_what, s, roles) => {
    const stops = planFleet(obs([s, ...v2], roles)).filter((a) => a.kind === 'stop');
    expect(stops).toEqual([]);
  });

  it('does not scale down a surplus server that is unverified or has players on its roster', () => {
    const surplus = (over: Partial<ServerObservation>) => planFleet(obs([srv('old', { emptySince: NOW - 600_000, ...over }), srv('a'), srv('b')]));
    expect(surplus({})).toEqual([{ kind: 'stop', serverId: 'old', reason: 'scale-down' }]);
    expect(surplus({ unverified: true })).toEqual([]);
    expect(surplus({ roster: 1 })).toEqual([]);
  });

  it('stops the same server once it is verified and its roster is empty', () => {
    expect(planFleet(obs([srv('old', { emptySince: NOW - 60_000 }), ...v2], retiring))).toEqual([{ kind: 'stop', serverId: 'old', reason: 'retired' }]);
  });

  it('counts a server with players on its roster as busy, but not an unverified empty one', () => {
    const cap = { capacity: { minServers: 1, maxServers: 10, bufferServers: 1, idleTimeoutSeconds: 60 } };
    expect(planFleet(obs([srv('a', { roster: 1 }), srv('b', { unverified: true })], undefined, cap))).toEqual([]);
    expect(planFleet(obs([srv('a', { roster: 1 }), srv('b', { roster: 2 })], undefined, cap))).toEqual([{ kind: 'start', build: 'v1', count: 1 }]);
  });
});
