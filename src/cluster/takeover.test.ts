import { describe, expect, it } from 'vitest';
import { decideTakeover, type LeaseObservation } from './takeover.js';

const NOW = 1_000_000;
const held = (o: Partial<LeaseObservation> = {}): LeaseObservation => ({
  holder: 'a', epoch: 7, expiresAt: NOW + 5_000, sessionEpoch: 7, sessionAlive: true, ...o,
});

describe('decideTakeover', () => {
  it.each([
    ['takes a lease nobody ever took', null, 'b', { take: true, reason: 'free' }],
    ['takes its own lease back after a restart, though it looks live', held({ holder: 'b' }), 'b', { take: true, reason: 'own' }],
    ['waits while the holder renews and its session is open', held(), 'b', { take: false }],
    ['takes a lease that expired, whatever the session says (a paused holder keeps its socket)', held({ expiresAt: NOW }), 'b', { take: true, reason: 'expired' }],
    ['takes a live lease at once when the holder\'s session for this epoch has ended (the process died)', held({ sessionAlive: false }), 'b', { take: true, reason: 'holder-gone' }],
    ['ignores a session registered under an earlier epoch (the holder did not register one)', held({ sessionEpoch: 6, sessionAlive: false }), 'b', { take: false }],
    ['ignores a lease no session was ever registered for (a previous release holds it)', held({ sessionEpoch: null, sessionAlive: false }), 'b', { take: false }],
  ] as const)('%s', (_name, lease, self, expected) => {
    expect(decideTakeover(lease, self, NOW)).toEqual(expected);
  });

  it('counts a lease as expired from its expiry on, by the database\'s time', () => {
    expect(decideTakeover(held({ expiresAt: NOW + 1 }), 'b', NOW)).toEqual({ take: false });
    expect(decideTakeover(held({ expiresAt: NOW + 1 }), 'b', NOW + 1)).toEqual({ take: true, reason: 'expired' });
  });
});
