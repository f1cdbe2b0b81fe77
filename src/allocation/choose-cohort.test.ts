import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseServer, type Candidate, type ChooseInput } from './choose.js';
import type { CohortRule, RoutingTable } from './routing.js';

const server = (id: string, build: string, used = 0, over: Partial<Candidate> = {}): Candidate => ({
  id, build, used, capacity: 4, state: 'Active', createdAt: 0, leaving: false, ...over,
});

/** A 0 % canary: everyone goes to `stable` unless a rule sends them to `canary`. */
const withRules = (...rules: CohortRule[]): RoutingTable => ({
  entries: [{ build: 'stable', weight: 100 }, { build: 'canary', weight: 0 }],
  rules,
});

const input = (over: Partial<ChooseInput> = {}): ChooseInput => ({
  playerId: 'p1', partyId: null, clientVersion: null, region: null, attributes: {},
  routing: withRules(), accepts: () => true,
  candidates: [server('s', 'stable'), server('c', 'canary')],
  partyServers: [], partyPolicy: 'together',
  ...over,
});

const buildOf = (over: Partial<ChooseInput>): string => {
  const r = chooseServer(input(over));
  return r.ok ? r.build : r.code;
};

describe('cohort rules', () => {
  const beta = { type: 'attribute', key: 'beta', values: ['true'] } as const;
  const eu = { type: 'region', values: ['eu-west', 'eu-north'] } as const;

  it.each([
    ['a player on the allow-list', 'canary', { players: ['p1'] }, {}],
    ['a player not on the allow-list', 'stable', { players: ['p2'] }, {}],
    ['a player whose attribute matches', 'canary', { when: [beta] }, { attributes: { beta: 'true' } }],
    ['a player whose attribute has another value', 'stable', { when: [beta] }, { attributes: { beta: 'false' } }],
    ['a player without the attribute', 'stable', { when: [beta] }, {}],
    ['a player whose region matches', 'canary', { when: [eu] }, { region: 'eu-north' }],
    ['a player without a region', 'stable', { when: [eu] }, { region: null }],
    ['a listed player whose attribute matches too (AND)', 'canary', { players: ['p1'], when: [beta] }, { attributes: { beta: 'true' } }],
    ['a player not on the allow-list whose attribute matches (AND)', 'stable', { players: ['p2'], when: [beta] }, { attributes: { beta: 'true' } }],
    ['a listed player whose attribute does not match (AND)', 'stable', { players: ['p1'], when: [beta] }, {}],
    ['a player matching one of two conditions (AND)', 'stable', { when: [beta, eu] }, { attributes: { beta: 'true' }, region: 'us-east' }],
    ['a player matching both conditions (AND)', 'canary', { when: [beta, eu] }, { attributes: { beta: 'true' }, region: 'eu-west' }],
  ] as [string, string, Omit<CohortRule, 'build'>, Partial<ChooseInput>][])('sends %s to %s', (_who, expected, rule, request) => {
    expect(buildOf({ ...request, routing: withRules({ build: 'canary', ...rule }) })).toBe(expected);
  });

  it('lets the first matching rule decide', () => {
    const routing: RoutingTable = {
      entries: [{ build: 'stable', weight: 100 }, { build: 'canary', weight: 0 }, { build: 'other', weight: 0 }],
      rules: [{ build: 'other', players: ['p1'] }, { build: 'canary', players: ['p1'] }],
    };
    expect(buildOf({ routing, candidates: [server('s', 'stable'), server('c', 'canary'), server('o', 'other')] })).toBe('other');
  });

  it.each([
    ['its build is full', { candidates: [server('s', 'stable'), server('c', 'canary', 4)] }, 'NO_CAPACITY'],
    ['its build has no server yet', { candidates: [server('s', 'stable')] }, 'NO_CAPACITY'],
    ['its build does not accept the client', { clientVersion: '1.0.0', accepts: (b: string) => b === 'stable' }, 'CLIENT_UPDATE_REQUIRED'],
  ] as [string, Partial<ChooseInput>, string][])('when %s, falls back to the weights by default, or refuses with fallback: false', (_when, over, refusal) => {
    expect(buildOf({ ...over, routing: withRules({ build: 'canary', players: ['p1'] }) })).toBe('stable');
    const strict = chooseServer(input({ ...over, routing: withRules({ name: 'testers', build: 'canary', players: ['p1'], fallback: false }) }));
    expect(strict).toMatchObject({ ok: false, code: refusal, details: { builds: ['canary'], cohort: 'testers' } });
  });

  it('puts a listed member on the server where the party already plays, whatever the rule says', () => {
    const over = { partyId: 'party', partyServers: ['s'], routing: withRules({ build: 'canary', players: ['p1'] }) };
    expect(chooseServer(input(over))).toEqual({ ok: true, serverId: 's', build: 'stable' });
  });

  it('lets the first member of a party to allocate decide its build, and the others follow', () => {
    const routing = withRules({ build: 'canary', players: ['leader'] });
    const leader = chooseServer(input({ playerId: 'leader', partyId: 'party', routing }));
    expect(leader).toEqual({ ok: true, serverId: 'c', build: 'canary' });
    expect(chooseServer(input({ playerId: 'member', partyId: 'party', routing, partyServers: ['c'] }))).toEqual(leader);
  });

  it('counts the rule\'s build as routed for a matching member of a follow-routing fleet', () => {
    const over = { partyId: 'party', partyServers: ['c'], partyPolicy: 'follow-routing' as const, candidates: [server('s', 'stable'), server('c', 'canary', 1), server('c2', 'canary', 2)] };
    expect(buildOf({ ...over, routing: withRules({ build: 'canary', players: ['p1'] }) })).toBe('canary');
    expect(chooseServer(input({ ...over, routing: withRules({ build: 'canary', players: ['p1'] }) }))).toMatchObject({ serverId: 'c' });
    expect(buildOf({ ...over, routing: withRules({ build: 'canary', players: ['p2'] }) })).toBe('stable');
  });

  it('keeps every player of an allow-list on the rule\'s build at every canary weight (property)', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 20 }), fc.nat(100), (players, weight) => {
      const routing: RoutingTable = { entries: [{ build: 'stable', weight: 100 - weight }, { build: 'canary', weight }], rules: [{ build: 'canary', players }] };
      const candidates = [server('s', 'stable', 0, { capacity: 100 }), server('c', 'canary', 0, { capacity: 100 })];
      for (const p of players) expect(buildOf({ playerId: p, routing, candidates })).toBe('canary');
    }));
  });
});

describe("prefer: 'newest'", () => {
  const pool = (over: Partial<RoutingTable> = {}): RoutingTable => ({
    prefer: 'newest',
    entries: [{ build: 'v1', weight: 50, rank: 1 }, { build: 'v3', weight: 1, rank: 3 }, { build: 'v2', weight: 50, rank: 2 }],
    ...over,
  });
  const fleet = (usedV3: number, usedV2: number): Candidate[] => [server('a', 'v1'), server('b', 'v2', usedV2), server('c', 'v3', usedV3)];

  it.each([
    ['the newest build has room', fleet(3, 0), 'v3'],
    ['the newest build is full', fleet(4, 0), 'v2'],
    ['the two newest builds are full', fleet(4, 4), 'v1'],
  ])('places every new session on the highest-ranked build with room when %s, whatever the weights', (_when, candidates, expected) => {
    for (const p of ['p1', 'p2', 'p3', 'p4', 'p5']) expect(buildOf({ playerId: p, routing: pool(), candidates })).toBe(expected);
  });

  it('skips the newest build when it does not accept the client', () => {
    expect(buildOf({ routing: pool(), candidates: fleet(0, 0), clientVersion: '1.0.0', accepts: (b) => b !== 'v3' })).toBe('v2');
  });

  it('never places on a build of weight 0, however new', () => {
    const routing = pool({ entries: [{ build: 'v1', weight: 1, rank: 1 }, { build: 'v3', weight: 0, rank: 3 }] });
    expect(buildOf({ routing, candidates: fleet(0, 0) })).toBe('v1');
  });

  it('still puts a party member with the party on an older build', () => {
    expect(chooseServer(input({ routing: pool(), candidates: fleet(0, 0), partyId: 'party', partyServers: ['a'] }))).toMatchObject({ serverId: 'a' });
  });
});

describe('forced build (migration token seam)', () => {
  const switched: RoutingTable = { entries: [{ build: 'old', weight: 50 }, { build: 'new', weight: 50 }] };
  const fleet = [server('o', 'old', 1), server('n1', 'new', 1), server('n2', 'new', 2)];
  const forced = (over: Partial<ChooseInput>) => chooseServer(input({ routing: switched, candidates: fleet, forcedBuild: 'new', ...over }));

  it('places a migrated player on the token\'s build whatever their weighted pick', () => {
    const players = fc.sample(fc.uuid(), { seed: 5, numRuns: 50 });
    expect(new Set(players.map((playerId) => buildOf({ playerId, routing: switched, candidates: fleet })))).toEqual(new Set(['old', 'new']));
    for (const playerId of players) expect(forced({ playerId })).toEqual({ ok: true, serverId: 'n2', build: 'new' });
  });

  it('places a migrated party member with the party on the token\'s build', () => {
    expect(forced({ partyId: 'party', partyServers: ['n1'] })).toEqual({ ok: true, serverId: 'n1', build: 'new' });
  });

  it('places a migrated member on the token\'s build even when part of the party is still on the old one', () => {
    expect(forced({ partyId: 'party', partyServers: ['o', 'n1'] })).toEqual({ ok: true, serverId: 'n1', build: 'new' });
    expect(forced({ partyId: 'party', partyServers: ['o'] })).toEqual({ ok: true, serverId: 'n2', build: 'new' });
  });

  it('places a migrated player ahead of a cohort rule', () => {
    const routing: RoutingTable = { ...switched, rules: [{ build: 'old', players: ['p1'], fallback: false }] };
    expect(forced({ routing })).toMatchObject({ ok: true, build: 'new' });
  });

  it.each([
    ['the build no longer takes new sessions (the release was aborted)', { routing: { entries: [{ build: 'old', weight: 100 }, { build: 'new', weight: 0 }] } }, 'old'],
    ['the build has no room', { candidates: [server('o', 'old', 1), server('n1', 'new', 4)] }, 'old'],
    ['the build does not accept the client', { clientVersion: '1.0.0', accepts: (b: string) => b === 'old' }, 'old'],
    ['no build of that name is in the table', { forcedBuild: 'gone', routing: { entries: [{ build: 'old', weight: 100 }] } }, 'old'],
  ] as [string, Partial<ChooseInput>, string][])('places the player by the usual rules when %s', (_when, over, expected) => {
    expect(forced(over)).toMatchObject({ ok: true, build: expected });
  });
});
