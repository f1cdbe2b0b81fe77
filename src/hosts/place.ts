/**
 * The placement planner: which host a new game server goes to. Pure: hosts, what already runs
 * on them and the policy in; a decision out. Never places on a host that is not `Ready`, never
 * past a host's capacity; spreads the build being placed across zones (the zone with the fewest
 * of its servers first, then the fewest of the fleet's), then packs or spreads within the zone by
 * policy.
 */
import { isSchedulable } from './liveness.js';
import type { HostCapacity, HostState } from './model.js';

export const PlacementPolicies = ['spread', 'pack'] as const;
/** Within a zone: `spread` evens a fleet over hosts (losing one loses less); `pack` fills hosts first (empties others for maintenance). */
export type PlacementPolicy = (typeof PlacementPolicies)[number];

/** What one server needs. Slots are always one; cpu/memory when the build declares them. */
export interface Demand {
  cpuMillis: number;
  memoryMb: number;
}

/** One host as the planner sees it: its state at `now`, capacity, and what it runs. */
export interface PlacementHost {
  id: string;
  zone: string;
  state: HostState;
  capacity: HostCapacity;
  used: { slots: number; cpuMillis: number; memoryMb: number };
  /** Servers of the fleet being placed that run on this host. */
  fleetServers: number;
  /**
   * Those of them that run the build being placed. During a release the old build retires, so
   * it is the new build that must end up spread: counted first, the fleet second.
   */
  buildServers: number;
}

export type Placement = { hostId: string; zone: string } | { hostId: null; reason: 'no_schedulable_host' | 'no_room' };

/** True when one more server with `demand` fits on `h` without exceeding any limit. */
export function fits(h: Pick<PlacementHost, 'capacity' | 'used'>, demand: Demand): boolean {
  if (h.used.slots + 1 > h.capacity.slots) return false;
  if (h.capacity.cpuMillis !== null && h.used.cpuMillis + demand.cpuMillis > h.capacity.cpuMillis) return false;
  if (h.capacity.memoryMb !== null && h.used.memoryMb + demand.memoryMb > h.capacity.memoryMb) return false;
  return true;
}

/** Chooses a host for one new server of a fleet. */
export function placeOne(hosts: readonly PlacementHost[], demand: Demand, policy: PlacementPolicy): Placement {
  // Counts per zone over every host, reachable or not: a zone whose host is down still holds
  // those servers until they are replaced, and counting them keeps spread honest.
  const perZone = new Map<string, { build: number; fleet: number }>();
  let schedulable = 0;
  for (const h of hosts) {
    let z = perZone.get(h.zone);
    if (!z) perZone.set(h.zone, (z = { build: 0, fleet: 0 }));
    z.build += h.buildServers;
    z.fleet += h.fleetServers;
    if (isSchedulable(h.state)) schedulable++;
  }
  if (schedulable === 0) return { hostId: null, reason: 'no_schedulable_host' };
  // The first candidate in (zone, within the zone, id) order, found in one pass over the hosts:
  // a sort per decision cost most of placing on 1,000 hosts (bench/hosts.ts).
  const NONE = { build: 0, fleet: 0 };
  let best: PlacementHost | undefined;
  let bestZone = NONE;
  for (const h of hosts) {
    if (!isSchedulable(h.state) || !fits(h, demand)) continue;
    const z = perZone.get(h.zone) ?? NONE;
    const better = !best || (z.build - bestZone.build || z.fleet - bestZone.fleet || byName(h.zone, best.zone) || withinZone(h, best, policy) || byName(h.id, best.id)) < 0;
    if (better) [best, bestZone] = [h, z];
  }
  return best ? { hostId: best.id, zone: best.zone } : { hostId: null, reason: 'no_room' };
}

/**
 * Names in code-unit order: ids and zones are ASCII (HOST_ID_PATTERN), and localeCompare cost
 * most of a decision over 1,000 hosts (bench/hosts.ts).
 */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when `a` is preferred over `b` within one zone. */
function withinZone(a: PlacementHost, b: PlacementHost, policy: PlacementPolicy): number {
  const freeA = a.capacity.slots - a.used.slots;
  const freeB = b.capacity.slots - b.used.slots;
  if (policy === 'pack') return freeA - freeB;
  return a.buildServers - b.buildServers || a.fleetServers - b.fleetServers || freeB - freeA;
}

/** Places `count` servers one after another, each seeing the ones before it. Stops at the first that does not fit. */
export function placeMany(hosts: readonly PlacementHost[], demand: Demand, policy: PlacementPolicy, count: number): Placement[] {
  const view = hosts.map((h) => ({ ...h, used: { ...h.used } }));
  const out: Placement[] = [];
  for (let i = 0; i < count; i++) {
    const p = placeOne(view, demand, policy);
    out.push(p);
    if (p.hostId === null) break;
    const h = view.find((x) => x.id === p.hostId);
    if (!h) break;
    h.used.slots += 1;
    h.used.cpuMillis += demand.cpuMillis;
    h.used.memoryMb += demand.memoryMb;
    h.fleetServers += 1;
    h.buildServers += 1;
  }
  return out;
}

/**
 * A fleet's placement: `policy` within a zone, and only hosts in `zones` when the fleet names
 * them (null: every zone). Hosts outside those zones are not even counted for spread: the fleet
 * spreads over its own zones.
 */
export function placeForFleet(hosts: readonly PlacementHost[], demand: Demand, placement: { policy: PlacementPolicy; zones: readonly string[] | null }): Placement {
  const zones = placement.zones;
  const allowed = zones === null ? hosts : hosts.filter((h) => zones.includes(h.zone));
  return placeOne(allowed, demand, placement.policy);
}
