import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseServer, hasRoom, type Candidate, type ChooseInput } from './choose.js';
import { singleBuildRouting } from './routing.js';

const server = (id: string, build: string, used: number, capacity = 4, state = 'Active', createdAt = 0): Candidate => ({
  id, build, used, capacity, state, createdAt, leaving: false,
});

const base = (over: Partial<ChooseInput> = {}): ChooseInput => ({
  playerId: 'p1',
  partyId: null,
  clientVersion: null,
  routing: singleBuildRouting('v1'),
  accepts: () => true,
  candidates: [],
  partyServers: [],
  partyPolicy: 'together',
  ...over,
});

describe('chooseServer', () => {
  it('packs a new session onto the fullest server that still has room', () => {
    const r = chooseServer(base({ candidates: [server('a', 'v1', 1), server('b', 'v1', 3), server('c', 'v1', 4)] }));
    expect(r).toEqual({ ok: true, serverId: 'b', build: 'v1' });
  });

  it.each([
    ['Starting'], ['Draining'], ['Unhealthy'], ['Crashed'], ['Stopped'],
  ])('never places a session on a %s server', (state) => {
    const r = chooseServer(base({ candidates: [server('a', 'v1', 0, 4, state)] }));
    expect(r).toMatchObject({ ok: false, code: 'NO_CAPACITY' });
  });

  it('sends new sessions only to builds with weight, even when the old build has room', () => {
    const r = chooseServer(base({
      routing: { entries: [{ build: 'v1', weight: 0 }, { build: 'v2', weight: 100 }] },
      candidates: [server('old', 'v1', 3), server('new', 'v2', 0, 4, 'Ready')],
    }));
    expect(r).toEqual({ ok: true, serverId: 'new', build: 'v2' });
  });

  it('puts a party member on the server where the party already plays', () => {
    const r = chooseServer(base({
      partyId: 'party', partyServers: ['a'],
      candidates: [server('a', 'v1', 1), server('b', 'v1', 3)],
    }));
    expect(r).toEqual({ ok: true, serverId: 'a', build: 'v1' });
  });

  it('falls back to packing when the party server is full', () => {
    const r = chooseServer(base({ partyId: 'party', partyServers: ['a'], candidates: [server('a', 'v1', 4), server('b', 'v1', 2)] }));
    expect(r).toEqual({ ok: true, serverId: 'b', build: 'v1' });
  });

  it('does not follow a party onto a build that no longer takes new sessions when the fleet follows routing', () => {
    const r = chooseServer(base({
      partyId: 'party', partyServers: ['old'], partyPolicy: 'follow-routing',
      routing: { entries: [{ build: 'v1', weight: 0 }, { build: 'v2', weight: 1 }] },
      candidates: [server('old', 'v1', 1), server('new', 'v2', 0, 4, 'Ready')],
    }));
    expect(r).toEqual({ ok: true, serverId: 'new', build: 'v2' });
  });

  it('tells an old client to update when no routed build accepts it', () => {
    const r = chooseServer(base({ clientVersion: '1.0.0', accepts: () => false, candidates: [server('a', 'v1', 0)] }));
    expect(r).toMatchObject({ ok: false, code: 'CLIENT_UPDATE_REQUIRED' });
  });

  it('reports NO_CAPACITY when every eligible server is full', () => {
    const r = chooseServer(base({ candidates: [server('a', 'v1', 4), server('b', 'v1', 4)] }));
    expect(r).toMatchObject({ ok: false, code: 'NO_CAPACITY' });
  });

  it('keeps a player on the same weighted build across requests', () => {
    const input = base({
      routing: { entries: [{ build: 'v1', weight: 50 }, { build: 'v2', weight: 50 }] },
      candidates: [server('a', 'v1', 0, 100), server('b', 'v2', 0, 100)],
    });
    const first = chooseServer(input);
    for (let i = 0; i < 5; i++) expect(chooseServer(input)).toEqual(first);
  });

  it('splits players across weighted builds roughly by weight', () => {
    let v2 = 0;
    for (let i = 0; i < 2000; i++) {
      const r = chooseServer(base({
        playerId: `player-${i}`,
        routing: { entries: [{ build: 'v1', weight: 90 }, { build: 'v2', weight: 10 }] },
        candidates: [server('a', 'v1', 0, 1e6), server('b', 'v2', 0, 1e6)],
      }));
      if (r.ok && r.build === 'v2') v2++;
    }
    expect(v2).toBeGreaterThan(120);
    expect(v2).toBeLessThan(300);
  });

  it('never picks a server without room, whatever the fleet looks like (property)', () => {
    const cand = fc.record({
      id: fc.string({ minLength: 1, maxLength: 4 }),
      build: fc.constantFrom('v1', 'v2'),
      used: fc.nat(6),
      capacity: fc.integer({ min: 1, max: 6 }),
      state: fc.constantFrom('Starting', 'Ready', 'Active', 'Draining', 'Unhealthy'),
      createdAt: fc.nat(10),
      leaving: fc.boolean(),
    });
    fc.assert(fc.property(fc.uniqueArray(cand, { maxLength: 12, selector: (c) => c.id }), fc.nat(100), (candidates, w) => {
      const r = chooseServer(base({
        candidates,
        routing: { entries: [{ build: 'v1', weight: w }, { build: 'v2', weight: 100 - w }] },
      }));
      if (r.ok) {
        const c = candidates.find((x) => x.id === r.serverId);
        expect(c && hasRoom(c)).toBe(true);
      } else {
        const anyRoom = candidates.some((c) => hasRoom(c) && ((c.build === 'v1' && w > 0) || (c.build === 'v2' && w < 100)));
        expect(anyRoom).toBe(false);
      }
    }));
  });
});
