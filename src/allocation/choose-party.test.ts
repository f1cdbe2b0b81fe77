import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RolloutStrategy } from '../rollout/model.js';
import { abRouting, winnerRouting } from '../rollout/strategies/ab-test/plan.js';
import { rolledBackRouting, switchedRouting } from '../rollout/strategies/blue-green/plan.js';
import { rollingRouting } from '../rollout/strategies/rolling/plan.js';
import { restoredRouting } from '../rollout/strategy.js';
import { poolRouting } from '../rollout/strategies/dynamic-pool/plan.js';
import { canaryRouting } from '../rollout/strategies/canary/plan.js';
import { sampleRollout } from '../store/fixtures.js';
import { chooseServer, type Candidate, type ChooseInput } from './choose.js';
import { singleBuildRouting, type RoutingTable } from './routing.js';

const server = (id: string, build: string, used: number, over: Partial<Candidate> = {}): Candidate => ({
  id, build, used, capacity: 4, state: 'Active', createdAt: 0, leaving: false, ...over,
});

/** A party on the old build's server `old`; a new build's server `new` with room. */
const partyOnOld = (routing: RoutingTable, over: Partial<ChooseInput> = {}): ChooseInput => ({
  playerId: 'newcomer', partyId: 'party', clientVersion: null, routing,
  accepts: () => true,
  candidates: [server('old', 'v1', 2), server('new', 'v2', 0, { state: 'Ready' })],
  partyServers: ['old'],
  partyPolicy: 'together',
  ...over,
});

/**
 * Every routing table each strategy can give a fleet while a party plays on the old build.
 * Keyed by strategy so that adding one to `RolloutStrategy` fails to compile until it is here.
 */
const release = sampleRollout({ fromBuild: 'v1', toBuild: 'v2' });
// Cohorts that name the newcomer: party cohesion wins over them too.
const cohort = { players: ['newcomer'], attributes: {}, regions: [] };
const limits = { drain: null, oldIdleSeconds: null, readyTimeoutSeconds: 60, maxStartFailures: 3 };
const canary = { id: 'ro_c', fromBuild: 'v1', toBuild: 'v2', spec: { strategy: 'canary' as const, steps: [{ setWeight: 100 }], cohort, smoke: null, ...limits } };
const abTest = { id: 'ro_ab', spec: { strategy: 'ab-test' as const, variants: [{ name: 'A', build: 'v1', weight: 50, cohort: null }, { name: 'B', build: 'v2', weight: 50, cohort }], ...limits } };
const routingsByStrategy: Record<RolloutStrategy, [string, RoutingTable][]> = {
  'blue-green': [
    ['before the switch', singleBuildRouting('v1')],
    ['after the switch', switchedRouting(release)],
    ['after an abort', rolledBackRouting(release)],
    ['after completion', singleBuildRouting('v2')],
  ],
  // During the window itself the table is closed: the allocator refuses everyone before choosing.
  maintenance: [
    ['before the window', singleBuildRouting('v1')],
    ['after it reopens', { entries: [{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }] }],
  ],
  rolling: [
    ['before a new server is in rotation', rollingRouting(release, 100, 0)],
    ['half-way', rollingRouting(release, 50, 50)],
    ['with every old server out of rotation', rollingRouting(release, 0, 100)],
    ['after an abort', restoredRouting(release)],
    ['after completion', singleBuildRouting('v2')],
  ],
  'dynamic-pool': [
    ['before the new servers join', singleBuildRouting('v1')],
    ['in the pool', poolRouting(release)],
    ['after the migration notice', poolRouting(release, true)],
    ['after an abort', rolledBackRouting(release)],
    ['after completion', singleBuildRouting('v2')],
  ],
  canary: [
    ['at 0 % with a cohort', canaryRouting(canary, 0)],
    ['at 30 %', canaryRouting(canary, 30)],
    ['at 100 %', canaryRouting(canary, 100)],
    ['after an abort', rolledBackRouting(release)],
  ],
  'ab-test': [
    ['while the variants run', abRouting(abTest)],
    ['after promote --variant B', winnerRouting(abTest, 'v2')],
  ],
};
const routings = Object.entries(routingsByStrategy).flatMap(([strategy, list]) => list.map(([when, routing]) => [strategy, when, routing] as const));

describe('party cohesion across a release', () => {
  it.each(routings)('%s %s: a new member joins the party on its server', (_strategy, _when, routing) => {
    expect(chooseServer(partyOnOld(routing))).toEqual({ ok: true, serverId: 'old', build: 'v1' });
  });

  it.each([
    ['the party server is full', { candidates: [server('old', 'v1', 4), server('new', 'v2', 0)] }],
    ['the party server was told to stop', { candidates: [server('old', 'v1', 2, { state: 'Draining', leaving: true }), server('new', 'v2', 0)] }],
    ['the party server is Unhealthy', { candidates: [server('old', 'v1', 2, { state: 'Unhealthy' }), server('new', 'v2', 0)] }],
    ['the party server\'s build does not accept the client', { clientVersion: '2.0.0', accepts: (b: string) => b === 'v2' }],
    ['the fleet follows routing', { partyPolicy: 'follow-routing' as const }],
  ])('after the switch the member follows routing when %s', (_when, over) => {
    expect(chooseServer(partyOnOld(switchedRouting(release), over))).toEqual({ ok: true, serverId: 'new', build: 'v2' });
  });

  it('lets a party member onto a Draining server that was not told to stop', () => {
    const input = partyOnOld(switchedRouting(release), { candidates: [server('old', 'v1', 2, { state: 'Draining' }), server('new', 'v2', 0)] });
    expect(chooseServer(input)).toMatchObject({ ok: true, serverId: 'old' });
  });

  it('never puts a player outside the party on a Draining server', () => {
    const input = partyOnOld(singleBuildRouting('v1'), { partyId: null, partyServers: [], candidates: [server('old', 'v1', 2, { state: 'Draining' })] });
    expect(chooseServer(input)).toMatchObject({ ok: false, code: 'NO_CAPACITY' });
  });

  it('joins the party even when no routed build accepts the client, since the party server does', () => {
    const input = partyOnOld(switchedRouting(release), { clientVersion: '1.0.0', accepts: (b: string) => b === 'v1' });
    expect(chooseServer(input)).toMatchObject({ ok: true, serverId: 'old' });
  });

  it('always puts the member on the party server while it runs, has room and accepts the client, whatever the routing (property)', () => {
    const state = fc.constantFrom('Starting', 'Ready', 'Active', 'Draining', 'Unhealthy');
    const cand = fc.record({
      build: fc.constantFrom('v1', 'v2', 'v3'), used: fc.nat(5), capacity: fc.integer({ min: 1, max: 5 }), state, createdAt: fc.nat(10), leaving: fc.boolean(),
    });
    const weights = fc.record({ v1: fc.nat(100), v2: fc.nat(100), v3: fc.nat(100) });
    fc.assert(fc.property(fc.array(cand, { minLength: 1, maxLength: 8 }), weights, fc.nat(7), fc.string(), (list, w, partyIndex, player) => {
      const candidates = list.map((c, i) => ({ ...c, id: `s${i}` }));
      const party = candidates[partyIndex % candidates.length] as Candidate;
      const routing = { entries: Object.entries(w).map(([build, weight]) => ({ build, weight })) };
      const r = chooseServer({
        playerId: player, partyId: 'party', clientVersion: null, routing, accepts: () => true,
        candidates, partyServers: [party.id], partyPolicy: 'together',
      });
      const running = (party.state === 'Ready' || party.state === 'Active' || party.state === 'Draining') && !party.leaving;
      if (running && party.used < party.capacity) expect(r).toEqual({ ok: true, serverId: party.id, build: party.build });
      else expect(r.ok && r.serverId === party.id).toBe(false);
    }));
  });
});
