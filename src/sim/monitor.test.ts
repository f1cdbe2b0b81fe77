import { describe, expect, it } from 'vitest';
import type { AllocationResponse } from '../api/schemas.js';
import { FakeClock } from '../core/clock.js';
import type { Disconnect } from '../runtime/simulated/game-server.js';
import { World } from '../state/world.js';
import { sampleFleet, sampleServer, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { Monitor, type ViolationKind } from './monitor.js';

/** A fleet switched from v1 to v2: `old` (v1) hosts party-7's ana; `new` (v2) is empty. */
function world(oldServer: Partial<Parameters<typeof sampleServer>[0]> = {}): World {
  return World.fromSnapshot({
    builds: [],
    fleets: [sampleFleet({ routing: { entries: [{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }] } })],
    servers: [
      sampleServer({ id: 'old', build: 'v1', capacity: 4, token: 't-old', ...oldServer }),
      sampleServer({ id: 'new', build: 'v2', capacity: 4, token: 't-new', state: 'Ready' }),
    ],
    openSessions: [sampleSession({ id: 'ses_ana', server: 'old', build: 'v1', playerId: 'ana', partyId: 'party-7' })],
    activeRollouts: [], idempotency: [], migrationTokens: [], meta: {},
  });
}

const answer = (playerId: string, serverId: string, build: string, outcome = 'created'): AllocationResponse & { outcome: string } => ({
  sessionId: `ses_${playerId}`, fleet: 'arena', playerId, reconnected: outcome !== 'created',
  server: { id: serverId, build, version: '', address: '127.0.0.1', ports: {} }, joinToken: 'jt', outcome,
});

const kinds = (m: Monitor): ViolationKind[] => m.violations.map((v) => v.kind);

describe('Monitor', () => {
  it.each<[string, Disconnect, ViolationKind[], Partial<Monitor['stats']>]>([
    ['a migration announced by a drain notice', { kind: 'closed', reason: 'migrated', drainNoticeAt: 5, maintenanceNoticeAt: null }, [], { migratedWithNotice: 1 }],
    ['a migration nobody announced', { kind: 'closed', reason: 'migrated', drainNoticeAt: null, maintenanceNoticeAt: null }, ['closed-without-notice'], {}],
    ['a maintenance close announced by its notice', { kind: 'closed', reason: 'maintenance', drainNoticeAt: null, maintenanceNoticeAt: 5 }, [], { closedForMaintenance: 1 }],
    ['a crash of the server', { kind: 'server-exit', code: 139, signal: null, stopped: false }, [], { lostToCrash: 1 }],
    ['a stop of the server', { kind: 'server-exit', code: 0, signal: null, stopped: true }, ['stopped-under-player'], {}],
  ])('judges a player dropped by %s', (_what, how, violations, stats) => {
    const m = new Monitor(new FakeClock());
    m.onDisconnect('ana', 'ses_ana', 'old', how);
    expect(kinds(m)).toEqual(violations);
    expect(m.stats).toMatchObject(stats);
  });

  it('judges a close whose notice gave no reason by what the store recorded', async () => {
    const store = SqliteStore.open(':memory:');
    await store.commit([
      { kind: 'putSession', session: sampleSession({ id: 'ses_mig', state: 'Closed', closedAt: 1, closeReason: 'migrated' }) },
      { kind: 'putSession', session: sampleSession({ id: 'ses_api', playerId: 'bo', state: 'Closed', closedAt: 1, closeReason: 'api' }) },
    ]);
    const m = new Monitor(new FakeClock());
    m.onDisconnect('player-1', 'ses_mig', 'old', { kind: 'closed', reason: 'closed', drainNoticeAt: 3, maintenanceNoticeAt: null });
    m.onDisconnect('bo', 'ses_api', 'old', { kind: 'closed', reason: 'closed', drainNoticeAt: null, maintenanceNoticeAt: null });
    await m.finalChecks(new World(), store);
    expect(m.violations.map((v) => v.detail)).toEqual([`bo's session ses_api closed under them (api, told "closed")`]);
    expect(m.stats.migratedWithNotice).toBe(1);
    await store.close();
  });

  it.each<[string, Partial<Parameters<typeof sampleServer>[0]>, ViolationKind[], number]>([
    ['its server had room', {}, ['party-split'], 0],
    ['its server was full', { capacity: 1 }, [], 1],
    ['its server was told to stop', { state: 'Draining', stopRequestedAt: 1 }, [], 1],
    ['its server was Unhealthy', { state: 'Unhealthy' }, [], 1],
  ])('flags a party member sent to the new build when %s only if it could have joined', (_when, oldServer, violations, allowed) => {
    const w = world(oldServer);
    const m = new Monitor(new FakeClock());
    const ctx = m.beforeAllocation(w, 'arena', 'bo', 'party-7');
    m.afterAllocation(ctx, w, answer('bo', 'new', 'v2'));
    expect(kinds(m)).toEqual(violations);
    expect(m.stats.allowedPartySplits).toBe(allowed);
  });

  it('accepts a party member joining the party on the build routing has left, and any split under follow-routing', () => {
    const w = world();
    const m = new Monitor(new FakeClock());
    m.afterAllocation(m.beforeAllocation(w, 'arena', 'bo', 'party-7'), w, answer('bo', 'old', 'v1'));
    w.fleets.set('arena', { ...sampleFleet({ routing: w.fleets.get('arena')?.routing ?? { entries: [] } }), partyPolicy: 'follow-routing' });
    m.afterAllocation(m.beforeAllocation(w, 'arena', 'cy', 'party-7'), w, answer('cy', 'new', 'v2'));
    expect(m.violations).toEqual([]);
  });

  it('flags a new session on a build the routing no longer routes to', () => {
    const w = world();
    const m = new Monitor(new FakeClock());
    m.afterAllocation(m.beforeAllocation(w, 'arena', 'solo', null), w, answer('solo', 'old', 'v1'));
    expect(m.violations.map((v) => v.detail)).toEqual(['solo landed on v1; routing sends new sessions to v2']);
  });

  it('flags a second session for a player who has one open, and a reconnect to another server', () => {
    const w = world();
    const m = new Monitor(new FakeClock());
    m.afterAllocation(m.beforeAllocation(w, 'arena', 'ana', null), w, answer('ana', 'new', 'v2'));
    m.afterAllocation(m.beforeAllocation(w, 'arena', 'ana', null), w, answer('ana', 'new', 'v2', 'reconnected'));
    expect(kinds(m)).toEqual(['player-twice', 'player-twice']);
  });

  it('flags a stop signal to a server hosting a player or an open session, and overbooked servers', () => {
    const w = world({ capacity: 0 });
    const m = new Monitor(new FakeClock());
    m.onStopSignal(w, 'old', 'SIGTERM', 1);
    m.onStopSignal(w, 'new', 'SIGTERM', 0);
    m.checkSlots(w, [{ serverId: 'new', players: ['x', 'y', 'z', 'q', 'r'] }, { serverId: 'old', players: ['x'] }]);
    expect(kinds(m)).toEqual(['stopped-under-player', 'stopped-with-open-session', 'slot-overbooked', 'slot-overbooked', 'player-twice', 'slot-overbooked']);
  });
});
