import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseServer, type Candidate, type ChooseInput } from './choose.js';
import { compileRouter, routeBuilds, type RouteRequest } from './choose-route.js';
import type { RouteEntry, RoutingTable } from './routing.js';

const everyone = (): boolean => true;
const req = (playerId: string, partyId: string | null = null): RouteRequest => ({ playerId, partyId, clientVersion: null, accepts: everyone });
const firstBuild = (table: RoutingTable, r: RouteRequest): string | undefined => routeBuilds(compileRouter(table), r).builds[0];
const table = (...entries: [string, number][]): RoutingTable => ({ entries: entries.map(([build, weight]) => ({ build, weight })) });

/** Fixed populations, so the statistical tests give the same answer on every run. */
const sequentialPlayers = Array.from({ length: 10_000 }, (_, i) => `player-${i}`);
const randomPlayers = fc.sample(fc.uuid(), { seed: 6, numRuns: 10_000 });

/**
 * Chi-square critical values at p = 0.001 by degrees of freedom: a correct router fails one
 * table about once in a thousand populations, and the populations here are fixed.
 */
const CHI2_999: Record<number, number> = { 1: 10.83, 2: 13.82, 3: 16.27 };

function chiSquare(weights: readonly [string, number][], players: readonly string[]): number {
  const t = table(...weights);
  const counts = new Map<string, number>();
  for (const p of players) {
    const b = firstBuild(t, req(p)) ?? '';
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  const total = weights.reduce((s, [, w]) => s + w, 0);
  return weights.reduce((x2, [b, w]) => {
    const expected = (players.length * w) / total;
    return x2 + ((counts.get(b) ?? 0) - expected) ** 2 / expected;
  }, 0);
}

describe('weighted routing', () => {
  it.each([
    ['a 1 % canary', [['stable', 99], ['canary', 1]]],
    ['a 10 % canary', [['stable', 90], ['canary', 10]]],
    ['a 50 % canary', [['stable', 50], ['canary', 50]]],
    ['a canary listed first', [['canary', 25], ['stable', 75]]],
    ['weights that do not sum to 100', [['stable', 7], ['canary', 3]]],
    ['an A/B test with three equal variants', [['a', 1], ['b', 1], ['c', 1]]],
    ['an A/B test with three unequal variants', [['a', 50], ['b', 30], ['c', 20]]],
    ['four variants', [['a', 40], ['b', 30], ['c', 20], ['d', 10]]],
  ] as [string, [string, number][]][])('honours the weights of %s over 10,000 players (chi-square, p = 0.001)', (_name, weights) => {
    const critical = CHI2_999[weights.length - 1] ?? 0;
    expect(chiSquare(weights, sequentialPlayers)).toBeLessThan(critical);
    expect(chiSquare(weights, randomPlayers)).toBeLessThan(critical);
  });

  it('puts every variant of a three-way A/B test in reach of the allocator, each with its own players', () => {
    const t = table(['a', 1], ['b', 1], ['c', 1]);
    const chosen = new Set(sequentialPlayers.slice(0, 300).map((p) => chooseServer({
      playerId: p, partyId: null, clientVersion: null, routing: t, accepts: everyone, partyServers: [], partyPolicy: 'together',
      candidates: ['a', 'b', 'c'].map((b): Candidate => ({ id: `srv-${b}`, build: b, state: 'Ready', capacity: 1e6, used: 0, createdAt: 0, leaving: false })),
    })).map((r) => (r.ok ? r.build : r.code)));
    expect(chosen).toEqual(new Set(['a', 'b', 'c']));
  });

  it('routes every member of a party like the party, whoever asks', () => {
    const t = table(['a', 1], ['b', 1], ['c', 1]);
    for (const party of randomPlayers.slice(0, 200)) {
      const builds = new Set(['m1', 'm2', 'm3'].map((m) => firstBuild(t, req(m, party))));
      expect(builds.size).toBe(1);
    }
  });

  it('draws another cohort under another salt, with the same share', () => {
    const plain = table(['stable', 90], ['canary', 10]);
    const salted: RoutingTable = { ...plain, salt: 'ro_2' };
    const canaries = (t: RoutingTable) => new Set(sequentialPlayers.filter((p) => firstBuild(t, req(p)) === 'canary'));
    const [a, b] = [canaries(plain), canaries(salted)];
    const both = [...a].filter((p) => b.has(p)).length;
    expect(b.size).toBeGreaterThan(900);
    expect(b.size).toBeLessThan(1100);
    expect(both).toBeLessThan(200); // independent draws share ~10 % of 10 %, i.e. ~100
  });

  it('answers a request every routed build accepts from arrays built once per table', () => {
    const t = table(['stable', 90], ['canary', 10]);
    const a = routeBuilds(compileRouter(t), req('p1')).builds;
    expect(routeBuilds(compileRouter(t), req('p1')).builds).toBe(a);
    expect(compileRouter(t)).toBe(compileRouter(t));
    expect(compileRouter(table(['stable', 90], ['canary', 10]))).not.toBe(compileRouter(t));
  });

  it('splits a client that one build refuses between the builds that accept it, by their weights', () => {
    const t = table(['a', 50], ['b', 25], ['c', 25]);
    const noC = (b: string): boolean => b !== 'c';
    const counts: Record<string, number> = {};
    for (const p of sequentialPlayers) {
      const builds = routeBuilds(compileRouter(t), { ...req(p), clientVersion: '1.0.0', accepts: noC }).builds;
      const key = builds.join(',');
      counts[key] = (counts[key] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['a,b', 'b,a']);
    expect((counts['a,b'] ?? 0) / sequentialPlayers.length).toBeCloseTo(2 / 3, 1);
  });
});

/**
 * The canary invariant: as the canary's share grows, the set of players routed to it only
 * grows. Tables are generated the way strategies write them — weights in any unit (the total
 * changes from step to step), the canary first or last, builds still draining at weight 0.
 */
describe('sticky canary assignment', () => {
  const steps = fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 6 }).map((s) => s.sort((a, b) => a - b));
  const scales = fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 6, maxLength: 6 });
  const canaryTable = (perMille: number, scale: number, canaryFirst: boolean, draining: boolean): RoutingTable => {
    const stable: RouteEntry = { build: 'stable', weight: (1000 - perMille) * scale };
    const canary: RouteEntry = { build: 'canary', weight: perMille * scale };
    const old: RouteEntry[] = draining ? [{ build: 'older', weight: 0 }] : [];
    return { entries: canaryFirst ? [...old, canary, stable] : [...old, stable, canary] };
  };

  it('keeps every player (and party) who got the canary on it as its weight grows (property)', () => {
    const key = fc.record({ playerId: fc.string({ minLength: 1, maxLength: 12 }), partyId: fc.option(fc.uuid(), { nil: null }) });
    fc.assert(fc.property(fc.array(key, { minLength: 1, maxLength: 40 }), steps, scales, fc.boolean(), fc.boolean(), (players, perMille, scale, first, draining) => {
      let before = new Set<number>();
      perMille.forEach((share, k) => {
        const t = canaryTable(share, scale[k] ?? 1, first, draining);
        const now = new Set(players.flatMap((p, i) => (firstBuild(t, { ...req(p.playerId, p.partyId) }) === 'canary' ? [i] : [])));
        for (const i of before) expect(now.has(i)).toBe(true);
        before = now;
      });
    }));
  });

  it('keeps a player placed on the canary there through chooseServer too, at every step from 10 % to 100 %', () => {
    const server = (id: string, build: string): Candidate => ({ id, build, state: 'Active', capacity: 1e6, used: 0, createdAt: 0, leaving: false });
    const tables = new Map([10, 25, 50, 75, 100].map((share) => [share, canaryTable(share * 10, 1, false, false)]));
    const input = (playerId: string, share: number): ChooseInput => ({
      playerId, partyId: null, clientVersion: null, accepts: everyone, partyServers: [], partyPolicy: 'together',
      routing: tables.get(share) ?? table(), candidates: [server('s', 'stable'), server('c', 'canary')],
    });
    const buildOf = (p: string, share: number): string => {
      const r = chooseServer(input(p, share));
      return r.ok ? r.build : r.code;
    };
    const onCanaryAt10 = sequentialPlayers.filter((p) => buildOf(p, 10) === 'canary');
    expect(onCanaryAt10.length).toBeGreaterThan(800);
    for (const share of [25, 50, 75, 100]) {
      expect(onCanaryAt10.filter((p) => buildOf(p, share) !== 'canary')).toEqual([]);
    }
  });
});
