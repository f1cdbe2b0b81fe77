import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { placeForFleet, type Demand, type PlacementHost, type PlacementPolicy } from './place.js';

const NONE: Demand = { cpuMillis: 0, memoryMb: 0 };

function host(id: string, zone: string, usedSlots = 0, fleetServers = usedSlots): PlacementHost {
  return { id, zone, state: 'Ready', capacity: { slots: 10, cpuMillis: null, memoryMb: null }, used: { slots: usedSlots, cpuMillis: 0, memoryMb: 0 }, fleetServers };
}

const hosts = [host('a1', 'a', 3), host('a2', 'a', 1), host('b1', 'b', 4), host('c1', 'c', 0)];

describe('placeForFleet', () => {
  it.each<[string, PlacementPolicy, string[] | null, string | null]>([
    ['every zone: the emptiest zone first', 'spread', null, 'c1'],
    ['only its zones: the emptier of a and b', 'spread', ['a', 'b'], 'a2'],
    ['pack within its zone: the fullest host that fits', 'pack', ['a'], 'a1'],
    ['spread within its zone: the host with fewer of the fleet', 'spread', ['a'], 'a2'],
    ['a zone no host is in: nowhere', 'spread', ['z'], null],
  ])('%s', (_name, policy, zones, expected) => {
    expect(placeForFleet(hosts, NONE, { policy, zones }).hostId).toBe(expected);
  });

  it('never places outside the fleet zones (property)', () => {
    const arb = fc.array(fc.record({ zone: fc.constantFrom('a', 'b', 'c'), used: fc.integer({ min: 0, max: 10 }) }), { maxLength: 10 });
    fc.assert(fc.property(arb, fc.subarray(['a', 'b', 'c'], { minLength: 1 }), fc.constantFrom<PlacementPolicy>('spread', 'pack'), (raw, zones, policy) => {
      const view = raw.map((h, i) => host(`h${i}`, h.zone, h.used));
      const p = placeForFleet(view, NONE, { policy, zones });
      const roomIn = view.some((h) => zones.includes(h.zone) && h.used.slots < h.capacity.slots);
      if (!roomIn) expect(p.hostId).toBeNull();
      else expect(zones).toContain(view.find((h) => h.id === p.hostId)?.zone);
    }));
  });
});
