/**
 * The capacity index against the thing it replaces: after any sequence of server and session
 * changes applied to the `World`, asking the index gives the same answers as scanning every
 * server the way allocation did before the index (`scanFleetCandidates` in testing.ts, the oracle).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServerStates, type GameServer, type ServerState } from '../fleet/model.js';
import { World } from '../state/world.js';
import { sampleServer, sampleSession } from '../store/fixtures.js';
import { scanCandidates } from './candidates.js';
import { chooseServer } from './choose.js';
import { fleetCandidates } from './service.js';
import type { LocationTier } from './regions.js';
import { scanFleetCandidates } from './testing.js';

const FLEETS = ['f1', 'f2'] as const;
const BUILDS = ['b1', 'b2', 'b3'] as const;

type Op =
  | { kind: 'add'; fleet: string; build: string; state: ServerState; capacity: number; createdAt: number }
  | { kind: 'state'; server: number; state: ServerState }
  | { kind: 'leave'; server: number; how: 'stop' | 'shutdown' }
  | { kind: 'capacity'; server: number; capacity: number }
  | { kind: 'open'; server: number; party: string | null }
  | { kind: 'close'; session: number }
  | { kind: 'move'; server: number; host: string | null }
  | { kind: 'host'; host: string; zone: string; region: string; down: boolean };

const HOSTS = ['h1', 'h2', 'h3'] as const;
const REGIONS = ['r1', 'r2'] as const;
const ZONES = ['z1', 'z2', 'z3'] as const;
const TIERS: LocationTier[] = [{ kind: 'any' }, ...REGIONS.map((name) => ({ kind: 'region' as const, name })), ...ZONES.map((name) => ({ kind: 'zone' as const, name }))];

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), fleet: fc.constantFrom(...FLEETS), build: fc.constantFrom(...BUILDS), state: fc.constantFrom(...ServerStates), capacity: fc.integer({ min: 0, max: 5 }), createdAt: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('state' as const), server: fc.nat(), state: fc.constantFrom(...ServerStates) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), server: fc.nat(), how: fc.constantFrom('stop' as const, 'shutdown' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('capacity' as const), server: fc.nat(), capacity: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('open' as const), server: fc.nat(), party: fc.constantFrom(null, 'p1', 'p2') }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('close' as const), session: fc.nat() }) },
  // A server's identity names its host (null: the control plane's own, here `local`).
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('move' as const), server: fc.nat(), host: fc.constantFrom(null, ...HOSTS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('host' as const), host: fc.constantFrom('local', ...HOSTS), zone: fc.constantFrom(...ZONES), region: fc.constantFrom(...REGIONS), down: fc.boolean() }) },
);

function apply(world: World, o: Op, n: number): void {
  const servers = [...world.servers.values()];
  const pick = (i: number): GameServer | undefined => servers[i % Math.max(1, servers.length)];
  switch (o.kind) {
    case 'add':
      world.putServer(sampleServer({ id: `s${n}`, token: `t${n}`, fleet: o.fleet, build: o.build, state: o.state, capacity: o.capacity, createdAt: o.createdAt, stopRequestedAt: null, drainReason: null }));
      return;
    case 'state': {
      // A terminal state removes the server, as an exit does.
      const s = pick(o.server);
      if (s) world.putServer({ ...s, state: o.state });
      return;
    }
    case 'leave': {
      const s = pick(o.server);
      if (s) world.putServer(o.how === 'stop' ? { ...s, state: 'Draining', stopRequestedAt: n } : { ...s, state: 'Draining', drainReason: 'shutdown-requested' });
      return;
    }
    case 'capacity': {
      const s = pick(o.server);
      if (s) world.putServer({ ...s, capacity: o.capacity });
      return;
    }
    case 'open': {
      const s = pick(o.server);
      if (s) world.addSession(sampleSession({ id: `ses${n}`, fleet: s.fleet, server: s.id, build: s.build, playerId: `pl${n}`, partyId: o.party, state: 'Reserved', closedAt: null, closeReason: null }));
      return;
    }
    case 'close': {
      const open = [...world.sessions.keys()];
      const id = open[o.session % Math.max(1, open.length)];
      if (id !== undefined) world.closeSession(id, 'ended', n);
      return;
    }
    case 'move': {
      const s = pick(o.server);
      if (s) world.putServer({ ...s, identity: o.host === null ? 'local-identity' : `@${o.host}/x` });
      return;
    }
    case 'host':
      world.setHostLocation(o.host, { zone: o.zone, region: o.region, down: o.down });
  }
}

describe('the capacity index', () => {
  it('answers like a scan of every server after any sequence of server, session and host changes', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const world = new World();
      ops.forEach((o, n) => {
        apply(world, o, n);
        for (const fleet of FLEETS) {
          const oracle = scanCandidates(scanFleetCandidates(world, fleet, []));
          for (const build of BUILDS) {
            expect(world.capacity.freeSeats(fleet, build)).toBe(oracle.freeSeats(build));
            for (const seats of [1, 2, 3, 5]) expect(world.capacity.fullest(fleet, build, seats)).toEqual(oracle.fullest(build, seats));
            for (const tier of TIERS) for (const seats of [1, 3]) expect(world.capacity.fullest(fleet, build, seats, tier)).toEqual(oracle.fullest(build, seats, tier));
          }
        }
      });
    }), { numRuns: 300 });
  });

  it('answers like a scan when built at a cold start (sessions counted, not loaded), each fleet on first use, after changes before and since', () => {
    const expectLikeScan = (world: World, scanned: World, fleets: readonly string[] = FLEETS): void => {
      for (const fleet of fleets) {
        const oracle = scanCandidates(scanFleetCandidates(scanned, fleet, []));
        for (const build of BUILDS) {
          expect(world.capacity.freeSeats(fleet, build)).toBe(oracle.freeSeats(build));
          for (const tier of TIERS) for (const seats of [1, 3]) expect(world.capacity.fullest(fleet, build, seats, tier)).toEqual(oracle.fullest(build, seats, tier));
        }
      }
    };
    // Servers with room sharing a heap, so the order the index is filled in matters.
    const seed: Op[] = [
      ...Array.from({ length: 8 }, (_, i): Op => ({ kind: 'add', fleet: 'f1', build: 'b1', state: i % 2 === 0 ? 'Ready' : 'Active', capacity: 4, createdAt: i % 3 })),
      ...Array.from({ length: 12 }, (_, i): Op => ({ kind: 'open', server: (i * 5) % 8, party: null })),
    ];
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), fc.array(op, { maxLength: 20 }), (random, after) => {
      const before = [...seed, ...random];
      const running = new World();
      before.forEach((o, n) => apply(running, o, n));
      // What a restart reads: the live servers and each one's count of open sessions.
      const counts = new Map([...running.servers.keys()].map((id) => [id, running.used(id)]));
      const restarted = World.fromSnapshot({ builds: [], fleets: [], servers: [...running.servers.values()], openSessions: [], activeRollouts: [], idempotency: [], migrationTokens: [], meta: {} }, counts);
      // The hosts become known before the index is built, as in the wiring.
      before.forEach((o, n) => (o.kind === 'host' ? apply(restarted, o, n) : undefined));
      restarted.buildCapacityIndex();
      // f1 is asked (and indexed) at once; f2 first after the changes below, built as they left it.
      expectLikeScan(restarted, running, ['f1']);
      after.forEach((o, n) => apply(restarted, o, before.length + n));
      expectLikeScan(restarted, restarted);
    }), { numRuns: 300 });
  });

  it('places every request, party members and migrated players included, where the full scan would', () => {
    const request = fc.record({
      fleet: fc.constantFrom(...FLEETS),
      party: fc.constantFrom(null, 'p1', 'p2'),
      weights: fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 })),
      forcedBuild: fc.constantFrom(null, ...BUILDS),
      forcedSeats: fc.integer({ min: 1, max: 4 }),
      held: fc.nat({ max: 6 }),
      partyPolicy: fc.constantFrom('together' as const, 'follow-routing' as const),
    });
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), fc.array(request, { minLength: 1, maxLength: 5 }), (ops, requests) => {
      const world = new World();
      ops.forEach((o, n) => apply(world, o, n));
      requests.forEach((r, i) => {
        const partyServers = r.party === null ? [] : world.partyServers(r.fleet, r.party);
        const input = {
          playerId: `new${i}`, partyId: r.party, clientVersion: null, accepts: () => true, partyServers, partyPolicy: r.partyPolicy,
          routing: { entries: BUILDS.map((build, k) => ({ build, weight: r.weights[k] ?? 0 })) },
          forcedBuild: r.forcedBuild, forcedSeats: r.forcedSeats, heldSeats: new Map([['b1', r.held]]),
        };
        const indexed = chooseServer({ ...input, candidates: fleetCandidates(world, r.fleet, partyServers) });
        const scanned = chooseServer({ ...input, candidates: scanFleetCandidates(world, r.fleet, partyServers) });
        expect(indexed).toEqual(scanned);
      });
    }), { numRuns: 300 });
  });

  it('forgets a server once it stops, and finds it again only through a new record', () => {
    const world = new World();
    const s = sampleServer({ id: 'a', fleet: 'f1', build: 'b1', state: 'Ready', capacity: 2, stopRequestedAt: null, drainReason: null });
    world.putServer(s);
    expect(world.capacity.fullest('f1', 'b1', 1)?.id).toBe('a');
    world.putServer({ ...s, state: 'Stopped' });
    expect(world.capacity.fullest('f1', 'b1', 1)).toBeUndefined();
    expect(world.capacity.size).toBe(0);
  });
});
