import { describe, expect, it } from 'vitest';
import type { GameServer } from '../fleet/model.js';
import type { Session } from '../session/model.js';
import { sampleServer, sampleSession } from '../store/fixtures.js';
import { World } from './world.js';

describe('World idempotency records', () => {
  it('forgets records once they expire, and keeps live ones', () => {
    const world = new World();
    const rec = (key: string, expiresAt: number) => ({ key, fleet: 'arena', requestHash: 'h', response: {}, createdAt: 0, expiresAt });
    world.putIdempotency(rec('old', 100));
    world.putIdempotency(rec('new', 200));
    expect(world.expireIdempotency(100)).toBe(1);
    expect(world.idempotencyRecord('arena', 'old')).toBeUndefined();
    expect(world.idempotencyRecord('arena', 'new')).toBeDefined();
  });
});

describe('World reservations', () => {
  it('lists reservations in opening order and drops them once connected or closed', () => {
    const world = new World();
    for (const [id, openedAt] of [['a', 10], ['b', 20], ['c', 30]] as const) {
      world.addSession(sampleSession({ id, playerId: `p-${id}`, state: 'Reserved', openedAt, closedAt: null, closeReason: null }));
    }
    expect(world.expiredReservations(25, 10)).toEqual(['a', 'b']);
    world.updateSession({ ...(world.sessions.get('a') ?? sampleSession()), state: 'Connected' });
    world.closeSession('b', 'expired', 40);
    expect(world.expiredReservations(100, 10)).toEqual(['c']);
    expect(world.expiredReservations(100, 0)).toEqual([]);
  });
});

describe('World migration tokens', () => {
  const token = (id: string, build: string, expiresAt: number, usedAt: number | null = null) => ({
    id, fleet: 'arena', playerId: `p-${id}`, partyId: null, build, issuedAt: 0, expiresAt, usedAt, usedBy: usedAt === null ? null : 'ses_x',
  });

  it('holds one seat per unused, unexpired token of the fleet, and forgets tokens once expired', () => {
    const world = new World();
    world.putMigrationToken(token('a', 'v2', 100));
    world.putMigrationToken(token('b', 'v2', 200));
    world.putMigrationToken(token('c', 'v2', 200, 50));
    world.putMigrationToken({ ...token('d', 'v2', 200), fleet: 'lobby' });
    expect(world.heldSeats('arena', 99)).toEqual(new Map([['v2', 2]]));
    expect(world.heldSeats('arena', 100)).toEqual(new Map([['v2', 1]]));
    expect(world.migrationTokens.has('a')).toBe(false);
    expect(world.heldSeats('arena', 200)).toEqual(new Map());
    expect(world.migrationTokens.size).toBe(0);
  });
});

describe('World sessions loaded after a cold start', () => {
  const open = (id: string, server: string, openedAt: number) =>
    sampleSession({ id, playerId: `p-${id}`, server, state: 'Reserved', openedAt, connectedAt: null, closedAt: null, closeReason: null });

  it('counts sessions not loaded yet, takes each in once, and never revives one closed while loading', () => {
    const world = new World();
    world.beginSessionLoad(new Map([['srv_a', 2]]));
    expect(world.used('srv_a')).toBe(2);
    expect(world.adoptStoredSession(open('a', 'srv_a', 10))).toBe(true);
    expect(world.adoptStoredSession(open('a', 'srv_a', 10))).toBe(false);
    expect(world.used('srv_a')).toBe(2);
    world.closeSession('a', 'ended', 50);
    // A chunk read before that close committed still lists it as open.
    expect(world.adoptStoredSession(open('a', 'srv_a', 10))).toBe(false);
    expect(world.used('srv_a')).toBe(1);
    expect(world.finishSessionLoad()).toBe(1);
    expect(world.used('srv_a')).toBe(0);
  });

  it('keeps reservations loaded late in opening order for expiry', () => {
    const world = new World();
    world.beginSessionLoad(new Map([['srv_a', 1]]));
    world.addSession(open('new', 'srv_a', 100));
    world.adoptStoredSession(open('old', 'srv_a', 10));
    expect(world.finishSessionLoad()).toBe(0);
    expect(world.expiredReservations(50, 10)).toEqual(['old']);
  });
});

describe('World read from a snapshot', () => {
  const snapshot = (servers: GameServer[], openSessions: Session[] = []) => ({
    builds: [], fleets: [], servers, openSessions, activeRollouts: [], idempotency: [], migrationTokens: [], meta: {},
  });

  it('indexes every server once, fullest first, counting the open sessions not loaded yet', () => {
    // Newest first, as the store lists them: the index must not depend on that order.
    const servers = [3, 2, 1].map((n) => sampleServer({ id: `srv_${n}`, state: 'Ready', capacity: 4, createdAt: n }));
    const world = World.fromSnapshot(snapshot(servers), new Map([['srv_3', 2], ['srv_2', 4]]));
    const c = world.capacity.fullest(servers[0]?.fleet ?? '', servers[0]?.build ?? '', 1);
    // srv_2 is full (4 of 4 counted), srv_3 holds 2 not yet loaded: the fullest with room.
    expect(c?.id).toBe('srv_3');
    expect(c?.used).toBe(2);
    expect(world.capacity.size).toBe(2);
    expect(world.capacity.freeSeats(servers[0]?.fleet ?? '', servers[0]?.build ?? '')).toBe(2 + 4);
  });

  it('keeps the index current for changes made before its first use', () => {
    const world = World.fromSnapshot(snapshot([sampleServer({ id: 'srv_a', state: 'Ready', capacity: 2 })]));
    const s = world.servers.get('srv_a') as GameServer;
    world.addSession(sampleSession({ id: 'x', server: 'srv_a', fleet: s.fleet, build: s.build, state: 'Reserved', closedAt: null, closeReason: null }));
    world.putServer({ ...s, capacity: 3 });
    expect(world.capacity.fullest(s.fleet, s.build, 1)).toMatchObject({ id: 'srv_a', used: 1, capacity: 3 });
  });
});
