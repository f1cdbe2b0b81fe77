import { describe, expect, it } from 'vitest';
import { sampleSession } from '../store/fixtures.js';
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
