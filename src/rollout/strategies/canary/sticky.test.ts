/**
 * The canary's promises, through the routing tables its planner emits and the allocator's own
 * placement (`chooseServer`): a player (and a party) keeps one build throughout a canary — it
 * may move from the old build to the canary once, never back — cohort players are on the canary
 * from the first step, and each step's weight is honoured over 10,000 players.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseServer, type Candidate } from '../../../allocation/choose.js';
import type { RoutingTable } from '../../../allocation/routing.js';
import { planPromote } from '../../commands.js';
import type { Rollout } from '../../model.js';
import type { RolloutServer } from '../../strategy.js';
import type { Cohort } from '../cohort.js';
import { planCanary } from './plan.js';
import type { CanarySpec, CanaryStep } from './spec.js';

const T0 = 1_000_000;
const servers: RolloutServer[] = [{ id: 'o1', build: 'v1', state: 'Active', used: 1 }, { id: 'n1', build: 'v2', state: 'Ready', used: 0 }];
/** Room for everyone, so placement shows routing, not spill-over. */
const candidates = (used: Map<string, number>): Candidate[] =>
  servers.map((s) => ({ id: s.id, build: s.build, state: 'Active', capacity: 1_000_000, used: used.get(s.id) ?? 0, createdAt: 0, leaving: false }));

function canaryRollout(steps: CanaryStep[], cohort: Cohort | null, id = 'ro_canary'): Rollout & { spec: CanarySpec } {
  return {
    id, fleet: 'arena', fromBuild: 'v1', toBuild: 'v2',
    spec: { strategy: 'canary', steps, cohort, smoke: null, drain: null, oldIdleSeconds: null, readyTimeoutSeconds: 600, maxStartFailures: 3 },
    phase: 'Provisioning', message: '', targetServers: 1, startFailures: 0, lastFailure: null, smoke: null,
    createdAt: T0, updatedAt: T0, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null,
    migratedAt: null, completedAt: null, abortedAt: null, failedAt: null,
  };
}

/** Runs the planner pass by pass (10 s apart, promoting every pause that waits for it) and returns every routing table it emitted, in order. */
function tablesOf(r0: Rollout & { spec: CanarySpec }): RoutingTable[] {
  let r = r0;
  const tables: RoutingTable[] = [];
  for (let pass = 0, now = T0; pass < 500 && r.phase !== 'Draining'; pass++, now += 10_000) {
    if (r.phase === 'Paused' && r.message.endsWith('until promote')) r = { ...r, ...planPromote(r, {}, now) } as typeof r;
    const plan = planCanary({ rollout: r, servers, now });
    if (plan.routing) tables.push(plan.routing);
    r = { ...r, ...plan.patch, spec: r.spec };
  }
  expect(r.phase).toBe('Draining');
  return tables;
}

/**
 * The build each player of each party gets under `table`. `apart`: each member allocates as if
 * no other member were playing (a party meeting again later), so only routing keeps them together.
 */
function place(table: RoutingTable, parties: readonly (readonly string[])[], apart = false): Map<string, string> {
  const used = new Map<string, number>();
  const builds = new Map<string, string>();
  parties.forEach((members, p) => {
    const partyId = members.length > 1 ? `party-${p}` : null;
    const partyServers: string[] = [];
    for (const playerId of members) {
      const attributes: Record<string, string> = playerId.endsWith('7') ? { beta: 'true' } : {};
      const res = chooseServer({
        playerId, partyId, clientVersion: null, routing: table, accepts: () => true, candidates: candidates(used),
        partyServers: apart ? [] : partyServers, partyPolicy: 'together', attributes,
      });
      if (!res.ok) throw new Error(`${playerId} was not placed: ${res.code}`);
      builds.set(playerId, res.build);
      used.set(res.serverId, (used.get(res.serverId) ?? 0) + 1);
      if (!partyServers.includes(res.serverId)) partyServers.push(res.serverId);
    }
  });
  return builds;
}

const weightSteps = fc
  .uniqueArray(fc.integer({ min: 0, max: 99 }), { maxLength: 6 })
  .chain((ws) =>
    fc.tuple(
      fc.constant([...ws].sort((a, b) => a - b)),
      fc.array(fc.constantFrom<CanaryStep>({ pause: {} }, { pause: { seconds: 15 } }, { pause: { seconds: 60 } }), { minLength: ws.length + 1, maxLength: ws.length + 1 }),
    ),
  )
  .map(([ws, pauses]) => [...ws.flatMap((w, i) => [{ setWeight: w }, pauses[i] ?? { pause: {} }]), { setWeight: 100 }] as CanaryStep[]);

const partiesArb = fc.array(fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 40 })
  .map((parties) => {
    // Player ids are unique across parties, as they are in a game.
    const seen = new Set<string>();
    return parties.map((ps, i) => ps.map((p, j) => `${p}-${i}-${j}`).filter((p) => !seen.has(p) && seen.add(p)));
  });

const cohortArb = fc.option(
  fc.record({ players: fc.array(fc.constantFrom('alice-0-0', 'bob-1-0', 'zed-2-1'), { maxLength: 3 }), beta: fc.boolean() })
    .filter((c) => c.players.length > 0 || c.beta)
    .map((c): Cohort => ({ players: c.players, attributes: c.beta ? { beta: 'true' } : {}, regions: [] })),
  { nil: null },
);

describe('a player and a party keep one build throughout a canary', () => {
  it('moves each player and party from the old build to the canary at most once, never back, and never splits a party', () => {
    fc.assert(
      fc.property(weightSteps, partiesArb, cohortArb, fc.uuid(), (steps, parties, cohort, id) => {
        const named = cohort ? [['alice-0-0'], ['bob-1-0', 'zed-2-1'], ...parties] : parties;
        const tables = tablesOf(canaryRollout(steps, cohort, id));
        const history = new Map<string, string[]>();
        const inCohort = (m: string): boolean => (cohort?.players.includes(m) ?? false) || (cohort !== null && Object.keys(cohort.attributes).length > 0 && m.endsWith('7'));
        for (const table of tables) {
          const builds = place(table, named);
          const apart = place(table, named, true);
          for (const members of named) {
            expect(new Set(members.map((m) => builds.get(m))).size, `party ${members.join(',')} on one build`).toBe(1);
            // Cohort rules are per player; otherwise the party's hash alone keeps it together.
            if (!members.some(inCohort)) expect(new Set(members.map((m) => apart.get(m))).size, `party ${members.join(',')} apart`).toBe(1);
          }
          for (const [player, build] of builds) history.set(player, [...(history.get(player) ?? []), build]);
        }
        for (const [player, builds] of history) {
          const firstCanary = builds.indexOf('v2');
          if (firstCanary >= 0) expect(builds.slice(firstCanary).every((b) => b === 'v2'), `${player}: ${builds.join(' → ')}`).toBe(true);
          expect(builds.at(-1), `${player} at 100 %`).toBe('v2');
        }
        // A cohort member who allocates first in their party is on the canary from the first table.
        for (const p of cohort?.players ?? []) {
          const solo = named.find((m) => m[0] === p);
          if (solo) expect(history.get(p)?.[0], `cohort player ${p}`).toBe('v2');
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('canary weights over 10,000 players', () => {
  const players = Array.from({ length: 10_000 }, (_, i) => `player-${i}`);
  const uuids = fc.sample(fc.uuid(), { seed: 42, numRuns: 10_000 });
  // A pause or a check after each weight, so each weight gets a table of its own (weights set in
  // one pass share one table: the last).
  const steps: CanaryStep[] = [
    { setWeight: 1 }, { pause: { seconds: 5 } }, { setWeight: 5 }, { pause: {} }, { setWeight: 10 }, { analysis: { webhook: { url: 'http://x/', timeoutSeconds: 1 } } },
    { setWeight: 25 }, { pause: { seconds: 5 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 },
  ];

  /** Every weight step of the release, with the table the planner emitted for it. */
  function weightTables(cohort: Cohort | null): [number, RoutingTable][] {
    let r = canaryRollout(steps, cohort);
    const out: [number, RoutingTable][] = [];
    for (let now = T0; r.phase !== 'Draining'; now += 10_000) {
      if (r.phase === 'Paused' && r.message.endsWith('until promote')) r = { ...r, ...planPromote(r, {}, now) } as typeof r;
      if (r.phase === 'Verifying' && r.smoke) r = { ...r, smoke: { ...r.smoke, state: 'passed' } };
      const plan = planCanary({ rollout: r, servers, now });
      const w = plan.routing?.entries.find((e) => e.build === 'v2')?.weight;
      if (plan.routing && w !== undefined && w > 0) out.push([w, plan.routing]);
      r = { ...r, ...plan.patch, spec: r.spec };
    }
    return out;
  }

  it.each([['sequential ids', players], ['random uuids', uuids]])('sends each step\'s share of %s to the canary, within 4 standard deviations', (_what, population) => {
    const tables = weightTables(null);
    expect(tables.map(([w]) => w)).toEqual([1, 5, 10, 25, 50, 100]);
    for (const [weight, table] of tables) {
      const onCanary = population.filter((p) => place(table, [[p]]).get(p) === 'v2').length;
      const p = weight / 100;
      const sd = Math.sqrt(population.length * p * (1 - p));
      expect(Math.abs(onCanary - population.length * p), `${weight} %: ${onCanary} on the canary`).toBeLessThanOrEqual(4 * sd + 1e-9);
    }
  });

  it('adds the cohort to the weighted share: every allow-listed player, plus the share of the others', () => {
    const cohort: Cohort = { players: players.slice(0, 500), attributes: {}, regions: [] };
    const [weight, table] = weightTables(cohort)[2] ?? [0, { entries: [] }];
    expect(weight).toBe(10);
    const builds = players.map((p) => place(table, [[p]]).get(p));
    expect(builds.slice(0, 500).every((b) => b === 'v2')).toBe(true);
    const others = builds.slice(500).filter((b) => b === 'v2').length;
    const sd = Math.sqrt(9_500 * 0.1 * 0.9);
    expect(Math.abs(others - 950)).toBeLessThanOrEqual(4 * sd);
  });
});
