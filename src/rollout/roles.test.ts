import { describe, expect, it } from 'vitest';
import { desiredServers } from '../fleet/plan-fleet.js';
import { fleetRoles } from './roles.js';

describe('fleetRoles', () => {
  it('gives routed builds their share and unrouted ones a retiring role', () => {
    const roles = fleetRoles({ entries: [{ build: 'v2', weight: 75 }, { build: 'v1', weight: 25 }, { build: 'v0', weight: 0 }] }, 600, null);
    expect(Object.fromEntries(roles)).toEqual({
      v2: { role: 'routed', share: 0.75 },
      v1: { role: 'routed', share: 0.25 },
      v0: { role: 'retiring', idleSeconds: 600 },
    });
  });

  it('keeps a build that only a cohort rule sends players to (an allow-list canary at 0 %) serving', () => {
    const roles = fleetRoles({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }], rules: [{ build: 'v2', players: ['alice'] }] }, 600, null);
    expect(roles.get('v2')).toEqual({ role: 'routed', share: 0 });
  });
});

describe('desiredServers', () => {
  const capacity = { minServers: 4, maxServers: 10, bufferServers: 1, idleTimeoutSeconds: 600 };
  it.each([
    [0, 0, 1, 'a share of 0 with no player keeps one server for the cohort'],
    [0, 3, 4, 'a share of 0 grows with the cohort plus the buffer'],
    [0, 20, 10, 'a share of 0 never exceeds the fleet maximum'],
    [0.5, 0, 2, 'half the fleet minimum when idle'],
    [1, 6, 7, 'busy plus the buffer'],
  ])('share %s with %s busy → %s servers (%s)', (share, busy, want) => {
    expect(desiredServers({ capacity }, busy, share)).toBe(want);
  });
});
