import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planFleet, startBackoffMs, type BuildRole, type FleetObservation, type ServerObservation } from './plan-fleet.js';

const NOW = 1_000_000;
const srv = (id: string, over: Partial<ServerObservation> = {}): ServerObservation => ({
  id, build: 'v1', state: 'Ready', used: 0, createdAt: NOW - 100_000, lastHealthAt: NOW - 1000,
  emptySince: NOW - 1000, stopRequestedAt: null, ...over,
});

const obs = (servers: ServerObservation[], roles: Record<string, BuildRole> = { v1: { role: 'routed', share: 1 } }, over: Partial<FleetObservation> = {}): FleetObservation => ({
  capacity: { minServers: 2, maxServers: 10, bufferServers: 1, idleTimeoutSeconds: 60 },
  health: { timeoutSeconds: 15, startTimeoutSeconds: 30 },
  servers, roles: new Map(Object.entries(roles)), startNotBefore: new Map(), now: NOW, ...over,
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

  it('never stops a server that hosts a session, whatever the fleet looks like (property)', () => {
    const server = fc.record({
      id: fc.uuid(),
      build: fc.constantFrom('v1', 'v2', 'v3'),
      state: fc.constantFrom('Starting', 'Ready', 'Active', 'Draining', 'Unhealthy'),
      used: fc.nat(3),
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
    fc.assert(fc.property(fc.array(server, { maxLength: 15 }), fc.dictionary(fc.constantFrom('v1', 'v2', 'v3'), role), (servers, roles) => {
      const used = new Map(servers.map((s) => [s.id, s.used]));
      for (const a of planFleet(obs(servers, roles))) {
        if (a.kind === 'stop') expect(used.get(a.serverId)).toBe(0);
      }
    }));
  });
});
