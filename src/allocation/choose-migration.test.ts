import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseServer, type Candidate, type ChooseInput } from './choose.js';
import type { RoutingTable } from './routing.js';

const server = (id: string, build: string, used = 0, over: Partial<Candidate> = {}): Candidate => ({
  id, build, used, capacity: 4, state: 'Active', createdAt: 0, leaving: false, ...over,
});
const switched: RoutingTable = { entries: [{ build: 'new', weight: 100 }, { build: 'old', weight: 0 }] };
const input = (over: Partial<ChooseInput> = {}): ChooseInput => ({
  playerId: 'p1', partyId: null, clientVersion: null, routing: switched, accepts: () => true,
  candidates: [server('n1', 'new', 3), server('n2', 'new', 0)], partyServers: [], partyPolicy: 'together',
  ...over,
});

describe('placing migrated players', () => {
  it('puts the first member of a migrated party on a server with room for the whole party', () => {
    expect(chooseServer(input({ forcedBuild: 'new', forcedSeats: 3, partyId: 'trio' }))).toEqual({ ok: true, serverId: 'n2', build: 'new' });
    // Alone, the same player packs onto the fullest server.
    expect(chooseServer(input({ forcedBuild: 'new' }))).toEqual({ ok: true, serverId: 'n1', build: 'new' });
  });

  it('puts the next members with the first, on its server', () => {
    const next = input({ forcedBuild: 'new', forcedSeats: 3, partyId: 'trio', candidates: [server('n1', 'new', 3), server('n2', 'new', 1)], partyServers: ['n2'] });
    expect(chooseServer(next)).toEqual({ ok: true, serverId: 'n2', build: 'new' });
  });

  it('still lands a party that fits nowhere whole on the new build', () => {
    expect(chooseServer(input({ forcedBuild: 'new', forcedSeats: 6, candidates: [server('n1', 'new', 3), server('n2', 'new', 2)] }))).toEqual({ ok: true, serverId: 'n1', build: 'new' });
  });

  it('keeps the seats held for migrated players from players placed by the weights', () => {
    const held = new Map([['new', 5]]);
    expect(chooseServer(input({ heldSeats: held }))).toMatchObject({ ok: false, code: 'NO_CAPACITY' });
    expect(chooseServer(input({ heldSeats: new Map([['new', 4]]) }))).toEqual({ ok: true, serverId: 'n1', build: 'new' });
  });

  it('sends a player past a build whose free seats are held to the next routed build', () => {
    const routing: RoutingTable = { entries: [{ build: 'new', weight: 100, rank: 2 }, { build: 'old', weight: 1, rank: 1 }], prefer: 'newest' };
    const candidates = [server('n1', 'new', 3), server('o1', 'old', 1)];
    expect(chooseServer(input({ routing, candidates, heldSeats: new Map([['new', 1]]) }))).toEqual({ ok: true, serverId: 'o1', build: 'old' });
  });

  it('gives a held seat to a migrated player, and lets a party member join the party on its server', () => {
    const held = new Map([['new', 5]]);
    expect(chooseServer(input({ heldSeats: held, forcedBuild: 'new' }))).toEqual({ ok: true, serverId: 'n1', build: 'new' });
    expect(chooseServer(input({ heldSeats: held, partyId: 'duo', partyServers: ['n2'] }))).toEqual({ ok: true, serverId: 'n2', build: 'new' });
  });

  it('never gives a player placed by the rules a seat held for a migrated player (property)', () => {
    const candidate = fc.record({ id: fc.uuid(), build: fc.constantFrom('new', 'old'), used: fc.nat(4) }).map((c) => server(c.id, c.build, c.used));
    fc.assert(fc.property(fc.array(candidate, { maxLength: 6 }), fc.nat(10), (candidates, held) => {
      const free = candidates.filter((c) => c.build === 'new').reduce((n, c) => n + c.capacity - c.used, 0);
      const r = chooseServer(input({ candidates, heldSeats: new Map([['new', held]]) }));
      if (r.ok && r.build === 'new') expect(free - 1).toBeGreaterThanOrEqual(held);
    }));
  });
});
