import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostStates, type HostState } from './model.js';
import { fits, placeMany, placeOne, type Demand, type PlacementHost, type PlacementPolicy } from './place.js';

const NONE: Demand = { cpuMillis: 0, memoryMb: 0 };

function host(id: string, zone: string, over: Partial<PlacementHost> & { slots?: number; usedSlots?: number } = {}): PlacementHost {
  const { slots = 10, usedSlots = 0, ...rest } = over;
  return {
    id, zone, state: 'Ready', capacity: { slots, cpuMillis: null, memoryMb: null },
    used: { slots: usedSlots, cpuMillis: 0, memoryMb: 0 }, fleetServers: usedSlots, buildServers: usedSlots, ...rest,
  };
}

describe('placeOne', () => {
  it.each<[string, PlacementHost[], PlacementPolicy, string | null]>([
    ['the zone with fewer of the fleet first', [host('a1', 'a', { usedSlots: 2 }), host('b1', 'b', { usedSlots: 1 })], 'spread', 'b1'],
    ['zones tie: the first zone by name', [host('b1', 'b'), host('a1', 'a')], 'spread', 'a1'],
    ['spread: the host with fewer of the fleet within the zone', [host('a1', 'a', { usedSlots: 3 }), host('a2', 'a', { usedSlots: 1 })], 'spread', 'a2'],
    ['pack: the fullest host that still fits within the zone', [host('a1', 'a', { usedSlots: 3 }), host('a2', 'a', { usedSlots: 1 })], 'pack', 'a1'],
    ['pack: skips a full host', [host('a1', 'a', { usedSlots: 10 }), host('a2', 'a', { usedSlots: 1 })], 'pack', 'a2'],
    ['never a cordoned host, even when it is the emptiest', [host('a1', 'a', { state: 'Cordoned' }), host('a2', 'a', { usedSlots: 5 })], 'spread', 'a2'],
    ['never a draining host', [host('a1', 'a', { state: 'Draining' }), host('b1', 'b', { usedSlots: 9 })], 'spread', 'b1'],
    ['never an unreachable host', [host('a1', 'a', { state: 'Unreachable' }), host('b1', 'b', { usedSlots: 9 })], 'spread', 'b1'],
    ['a release: the zone with fewer of the new build first, even when it holds more of the fleet', [host('a1', 'a', { usedSlots: 1, buildServers: 1 }), host('b1', 'b', { usedSlots: 3, buildServers: 0 })], 'spread', 'b1'],
    ['a release: zones tie on the new build: the one with fewer of the fleet', [host('a1', 'a', { usedSlots: 3, buildServers: 0 }), host('b1', 'b', { usedSlots: 1, buildServers: 0 })], 'spread', 'b1'],
    ['a release, spread: the host with fewer of the new build within the zone', [host('a1', 'a', { usedSlots: 1, buildServers: 1 }), host('a2', 'a', { usedSlots: 3, buildServers: 0 })], 'spread', 'a2'],
    ['a full zone gives way to a fuller one with room', [host('a1', 'a', { slots: 1, usedSlots: 1, fleetServers: 0 }), host('b1', 'b', { usedSlots: 4 })], 'spread', 'b1'],
  ])('%s', (_name, hosts, policy, expected) => {
    expect(placeOne(hosts, NONE, policy).hostId).toBe(expected);
  });

  it('says why nothing was placed: no schedulable host, or no room', () => {
    expect(placeOne([host('a1', 'a', { state: 'Cordoned' })], NONE, 'spread')).toEqual({ hostId: null, reason: 'no_schedulable_host' });
    expect(placeOne([host('a1', 'a', { slots: 2, usedSlots: 2 })], NONE, 'spread')).toEqual({ hostId: null, reason: 'no_room' });
    expect(placeOne([], NONE, 'pack')).toEqual({ hostId: null, reason: 'no_schedulable_host' });
  });

  it('respects cpu and memory limits besides slots', () => {
    const h = host('a1', 'a', { capacity: { slots: 10, cpuMillis: 1000, memoryMb: 512 }, used: { slots: 1, cpuMillis: 600, memoryMb: 100 } });
    expect(fits(h, { cpuMillis: 400, memoryMb: 0 })).toBe(true);
    expect(fits(h, { cpuMillis: 401, memoryMb: 0 })).toBe(false);
    expect(fits(h, { cpuMillis: 0, memoryMb: 413 })).toBe(false);
    expect(placeOne([h], { cpuMillis: 500, memoryMb: 0 }, 'spread')).toEqual({ hostId: null, reason: 'no_room' });
  });
});

describe('placeMany', () => {
  it('spreads six servers over three hosts in two zones three and three', () => {
    const hosts = [host('a1', 'a'), host('a2', 'a'), host('b1', 'b')];
    const placed = placeMany(hosts, NONE, 'spread', 6).map((p) => p.hostId);
    expect(placed.filter((id) => id?.startsWith('a'))).toHaveLength(3);
    expect(placed.filter((id) => id === 'b1')).toHaveLength(3);
    expect(placed.filter((id) => id === 'a1')).toHaveLength(2);
  });

  it('spreads a new build evenly over zones even when the old build it replaces is lopsided', () => {
    // The old build: three servers in zone a, one in b (b was full when they started).
    const hosts = [host('a1', 'a', { usedSlots: 2, buildServers: 0 }), host('a2', 'a', { usedSlots: 1, buildServers: 0 }), host('b1', 'b', { usedSlots: 1, buildServers: 0 })];
    const placed = placeMany(hosts, NONE, 'spread', 4).map((p) => (p.hostId === null ? null : p.zone));
    expect(placed.filter((z) => z === 'a')).toHaveLength(2);
    expect(placed.filter((z) => z === 'b')).toHaveLength(2);
  });

  it('stops at the first server that does not fit', () => {
    const placed = placeMany([host('a1', 'a', { slots: 2 })], NONE, 'pack', 4);
    expect(placed.map((p) => p.hostId)).toEqual(['a1', 'a1', null]);
  });
});

const hostArb = fc.record({
  zone: fc.constantFrom('z1', 'z2', 'z3'),
  state: fc.constantFrom<HostState>(...HostStates),
  slots: fc.integer({ min: 0, max: 8 }),
  usedSlots: fc.integer({ min: 0, max: 8 }),
  cpu: fc.option(fc.integer({ min: 0, max: 4000 }), { nil: null }),
  usedCpu: fc.integer({ min: 0, max: 4000 }),
});
const hostsArb = fc.array(hostArb, { maxLength: 12 }).map((hs) =>
  hs.map((h, i): PlacementHost => ({
    id: `h${i}`, zone: h.zone, state: h.state,
    capacity: { slots: h.slots, cpuMillis: h.cpu, memoryMb: null },
    used: { slots: Math.min(h.usedSlots, h.slots), cpuMillis: h.cpu === null ? h.usedCpu : Math.min(h.usedCpu, h.cpu), memoryMb: 0 },
    fleetServers: Math.min(h.usedSlots, h.slots),
    buildServers: Math.min(h.usedSlots, h.slots),
  })),
);

describe('placement properties', () => {
  it('never exceeds a host capacity and never places on a host that is not Ready', () => {
    fc.assert(fc.property(hostsArb, fc.constantFrom<PlacementPolicy>('spread', 'pack'), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 40 }), (hosts, policy, cpu, count) => {
      const demand = { cpuMillis: cpu, memoryMb: 0 };
      const placed = placeMany(hosts, demand, policy, count).flatMap((p) => (p.hostId === null ? [] : [p.hostId]));
      for (const h of hosts) {
        const n = placed.filter((id) => id === h.id).length;
        if (n === 0) continue;
        expect(h.state).toBe('Ready');
        expect(h.used.slots + n).toBeLessThanOrEqual(h.capacity.slots);
        if (h.capacity.cpuMillis !== null) expect(h.used.cpuMillis + n * cpu).toBeLessThanOrEqual(h.capacity.cpuMillis);
      }
    }));
  });

  it('keeps a fleet spread over zones within one server of even while every zone has room', () => {
    const zoneHosts = fc.array(fc.record({ zone: fc.constantFrom('z1', 'z2', 'z3'), n: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 6 });
    fc.assert(fc.property(zoneHosts, fc.constantFrom<PlacementPolicy>('spread', 'pack'), fc.integer({ min: 1, max: 30 }), (spec, policy, count) => {
      // Room for every server in every zone: evenness is then the planner's choice alone.
      const hosts = spec.map((s, i) => host(`h${i}`, s.zone, { slots: 30 * s.n }));
      const zones = [...new Set(hosts.map((h) => h.zone))];
      const placed = placeMany(hosts, NONE, policy, count);
      const perZone = zones.map((z) => placed.filter((p) => p.hostId !== null && p.zone === z).length);
      expect(Math.max(...perZone) - Math.min(...perZone)).toBeLessThanOrEqual(1);
    }));
  });
});
