import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { HostService } from './service.js';
import type { Host, HostSchedule } from './model.js';
import { placeForFleet, type PlacementPolicy } from './place.js';
import { HostPlacer, type PlacerRegistry } from './placer.js';
import { UsageBook } from './usage-book.js';
import { placementHosts, usageKey } from './view.js';

const NONE = { cpuMillis: 0, memoryMb: 0 };
const TIMEOUT = 10_000;

function host(id: string, zone: string, over: Partial<Host> = {}): Host {
  return {
    id, zone, region: 'r', publicAddress: '127.0.0.1', portRange: { from: 7400, to: 7499 },
    capacity: { slots: 6, cpuMillis: null, memoryMb: null }, schedule: 'Ready', registeredAt: 0, lastHeartbeatAt: 0, ...over,
  };
}

/** A registry the test edits as HostService does: records replaced, the version bumped. */
class Registry implements PlacerRegistry {
  readonly hosts = new Map<string, Host>();
  private changes = 0;
  put(h: Host): void {
    this.hosts.set(h.id, h);
    this.changes++;
  }
  version(): number {
    return this.changes;
  }
  all(): Host[] {
    return [...this.hosts.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  get(id: string): Host | undefined {
    return this.hosts.get(id);
  }
}

type Op =
  | { kind: 'start'; fleet: string; build: string; policy: PlacementPolicy; zones: string[] | null; now: number }
  | { kind: 'exit'; pick: number }
  | { kind: 'adopt'; host: string; fleet: string; build: string }
  | { kind: 'register'; id: string; zone: string; slots: number }
  | { kind: 'schedule'; id: string; schedule: HostSchedule }
  | { kind: 'heartbeat'; id: string; at: number };

const ids = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
const zones = ['a', 'b', 'c'];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({
    kind: fc.constant('start' as const), fleet: fc.constantFrom('arena', 'duel'), build: fc.constantFrom('v1', 'v2'),
    policy: fc.constantFrom<PlacementPolicy>('spread', 'pack'), zones: fc.option(fc.subarray(zones, { minLength: 1 }), { nil: null }), now: fc.integer({ min: 0, max: 12_000 }),
  }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('exit' as const), pick: fc.nat() }) },
  // Servers found running (adopted after a restart): usage the placer did not choose, possibly past capacity.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('adopt' as const), host: fc.constantFrom(...ids), fleet: fc.constantFrom('arena', 'duel'), build: fc.constantFrom('v1', 'v2') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('register' as const), id: fc.constantFrom(...ids), zone: fc.constantFrom(...zones), slots: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('schedule' as const), id: fc.constantFrom(...ids), schedule: fc.constantFrom<HostSchedule>('Ready', 'Cordoned', 'Draining') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), id: fc.constantFrom(...ids), at: fc.integer({ min: 0, max: 12_000 }) }) },
);

describe('HostPlacer', () => {
  it('places as the brute-force planner over every host view, through random starts, exits and registry changes (property)', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 10, maxLength: 120, size: 'large' }), fc.constantFrom('h1', 'none'), (ops, embedded) => {
      const registry = new Registry();
      for (const [i, id] of ids.slice(0, 3).entries()) registry.put(host(id, zones[i % 2] ?? 'a'));
      const alwaysAlive = new Set(embedded === 'none' ? [] : [embedded]);
      const placer = new HostPlacer(registry, { heartbeatTimeoutMs: TIMEOUT, alwaysAlive });
      const book = new UsageBook();
      const running: { host: string; fleet: string; build: string }[] = [];
      for (const op of ops) {
        if (op.kind === 'start') {
          const placement = { policy: op.policy, zones: op.zones };
          const expected = placeForFleet(placementHosts(registry.all(), book, op.fleet, op.build, op.now, TIMEOUT, alwaysAlive), NONE, placement);
          const got = placer.place(book, op.fleet, op.build, NONE, placement, op.now);
          expect(got).toEqual(expected);
          if (got.hostId !== null) {
            book.count(got.hostId, op.fleet, op.build, 1);
            running.push({ host: got.hostId, fleet: op.fleet, build: op.build });
          }
        } else if (op.kind === 'adopt') {
          book.count(op.host, op.fleet, op.build, 1);
          running.push({ host: op.host, fleet: op.fleet, build: op.build });
        } else if (op.kind === 'exit') {
          if (running.length === 0) continue;
          const [gone] = running.splice(op.pick % running.length, 1);
          if (gone) book.count(gone.host, gone.fleet, gone.build, -1);
        } else if (op.kind === 'register') {
          const known = registry.get(op.id);
          registry.put({ ...(known ?? host(op.id, op.zone)), zone: op.zone, capacity: { slots: op.slots, cpuMillis: null, memoryMb: null } });
        } else if (op.kind === 'schedule') {
          const known = registry.get(op.id);
          if (known) registry.put({ ...known, schedule: op.schedule });
        } else {
          // As HostService.heartbeat: in place, without a new version.
          const known = registry.get(op.id);
          if (known) known.lastHeartbeatAt = op.at;
        }
      }
    }), { numRuns: 100 });
  });

  it('takes the zone with fewer of the build being placed first, even when it holds more of the fleet (a release)', () => {
    const registry = new Registry();
    registry.put(host('a1', 'a', { capacity: { slots: 10, cpuMillis: null, memoryMb: null } }));
    registry.put(host('b1', 'b', { capacity: { slots: 10, cpuMillis: null, memoryMb: null } }));
    const placer = new HostPlacer(registry, { heartbeatTimeoutMs: TIMEOUT, alwaysAlive: new Set() });
    const book = new UsageBook();
    for (let i = 0; i < 3; i++) book.count('a1', 'arena', 'v1', 1);
    book.count('b1', 'arena', 'v2', 1);
    expect(placer.place(book, 'arena', 'v2', NONE, { policy: 'spread', zones: null }, 0)).toEqual({ hostId: 'a1', zone: 'a' });
    expect(placer.place(book, 'arena', 'v1', NONE, { policy: 'spread', zones: null }, 0)).toEqual({ hostId: 'b1', zone: 'b' });
  });

  it('says why nothing was placed, as the planner does', () => {
    const registry = new Registry();
    registry.put(host('h1', 'a', { schedule: 'Cordoned' }));
    const placer = new HostPlacer(registry, { heartbeatTimeoutMs: TIMEOUT, alwaysAlive: new Set() });
    const book = new UsageBook();
    expect(placer.place(book, 'arena', 'v1', NONE, { policy: 'spread', zones: null }, 0)).toEqual({ hostId: null, reason: 'no_schedulable_host' });
    registry.put(host('h2', 'b', { capacity: { slots: 1, cpuMillis: null, memoryMb: null } }));
    book.count('h2', 'duel', 'v1', 1);
    expect(placer.place(book, 'arena', 'v1', NONE, { policy: 'spread', zones: null }, 0)).toEqual({ hostId: null, reason: 'no_room' });
  });
});

describe('HostPlacer over the real host registry', () => {
  it('sees a cordon, an uncordon, a re-registration in another zone and a lost heartbeat at once', async () => {
    const clock = new FakeClock();
    const store = SqliteStore.open(':memory:');
    const ctx: Ctx = { world: new World(), clock, store, persister: new Persister(store), notify: () => undefined };
    const reg = (id: string, zone: string) => ({ id, zone, region: 'r', publicAddress: `${id}.example`, portRange: { from: 7400, to: 7499 }, capacity: { slots: 10, cpuMillis: null, memoryMb: null } });
    const hosts = await HostService.create(ctx, { heartbeatTimeoutMs: TIMEOUT, embedded: null });
    await hosts.register(reg('h1', 'a'));
    await hosts.register(reg('h2', 'b'));
    const placer = new HostPlacer(hosts, { heartbeatTimeoutMs: TIMEOUT, alwaysAlive: hosts.alwaysAlive });
    const book = new UsageBook();
    book.count('h2', 'arena', 'v1', 1);
    const place = () => placer.place(book, 'arena', 'v1', NONE, { policy: 'spread', zones: null }, clock.now()).hostId;
    expect(place()).toBe('h1');
    await hosts.setSchedule('h1', 'Cordoned');
    expect(place()).toBe('h2');
    await hosts.setSchedule('h1', 'Ready');
    expect(place()).toBe('h1');
    // h1 moves into h2's zone: zone b now holds both, and h1 is still the emptier host there.
    await hosts.register(reg('h1', 'b'));
    expect(placer.place(book, 'arena', 'v1', NONE, { policy: 'spread', zones: ['a'] }, clock.now())).toEqual({ hostId: null, reason: 'no_schedulable_host' });
    expect(place()).toBe('h1');
    clock.advance(TIMEOUT + 1);
    hosts.heartbeat('h2');
    expect(place()).toBe('h2');
    await store.close();
  });
});

describe('UsageBook', () => {
  it('keeps every zone total equal to the sum over its hosts, through random counts and re-zoning (property)', () => {
    const countArb = fc.record({ host: fc.constantFrom(...ids), fleet: fc.constantFrom('arena', 'duel'), build: fc.constantFrom('v1', 'v2'), up: fc.boolean() });
    const stepArb = fc.oneof({ weight: 6, arbitrary: countArb }, { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...ids), fc.constantFrom(...zones)) });
    fc.assert(fc.property(fc.array(stepArb, { minLength: 10, maxLength: 80, size: 'large' }), (steps) => {
      const book = new UsageBook();
      const live: { host: string; fleet: string; build: string }[] = [];
      let zoneOf = new Map<string, string>();
      for (const step of steps) {
        if ('up' in step) {
          const i = live.findIndex((l) => l.host === step.host && l.fleet === step.fleet && l.build === step.build);
          if (step.up || i < 0) {
            book.count(step.host, step.fleet, step.build, 1);
            live.push({ host: step.host, fleet: step.fleet, build: step.build });
          } else {
            book.count(step.host, step.fleet, step.build, -1);
            live.splice(i, 1);
          }
        } else {
          zoneOf = new Map(Object.entries(step));
          book.setZones(zoneOf);
        }
        for (const zone of zones) for (const fleet of ['arena', 'duel']) for (const build of ['v1', 'v2']) {
          const here = live.filter((l) => zoneOf.get(l.host) === zone && l.fleet === fleet);
          expect(book.inZone(zone, fleet, build)).toEqual({ fleet: here.length, build: here.filter((l) => l.build === build).length });
        }
        for (const id of ids) {
          const mine = live.filter((l) => l.host === id);
          expect(book.get(id)?.slots ?? 0).toBe(mine.length);
          expect(book.get(id)?.byBuild.get(usageKey('arena', 'v1')) ?? 0).toBe(mine.filter((l) => l.fleet === 'arena' && l.build === 'v1').length);
        }
      }
    }), { numRuns: 50 });
  });
});
