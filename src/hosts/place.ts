/**
 * The placement planner: which host a new game server goes to. Pure: hosts, what already runs
 * on them and the policy in; a decision out. Never places on a host that is not `Ready`, never
 * past a host's capacity; spreads a fleet across zones (the zone with the fewest of its servers
 * first), then packs or spreads within the zone by policy.
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
}

export type Placement = { hostId: string; zone: string } | { hostId: null; reason: 'no_schedulable_host' | 'no_room' };

/** True when one more server with `demand` fits on `h` without exceeding any limit. */
export function fits(h: PlacementHost, demand: Demand): boolean {
  if (h.used.slots + 1 > h.capacity.slots) return false;
  if (h.capacity.cpuMillis !== null && h.used.cpuMillis + demand.cpuMillis > h.capacity.cpuMillis) return false;
  if (h.capacity.memoryMb !== null && h.used.memoryMb + demand.memoryMb > h.capacity.memoryMb) return false;
  return true;
}

/** Chooses a host for one new server of a fleet. */
export function placeOne(hosts: readonly PlacementHost[], demand: Demand, policy: PlacementPolicy): Placement {
  const schedulable = hosts.filter((h) => isSchedulable(h.state));
  if (schedulable.length === 0) return { hostId: null, reason: 'no_schedulable_host' };
  const candidates = schedulable.filter((h) => fits(h, demand));
  if (candidates.length === 0) return { hostId: null, reason: 'no_room' };
  // The fleet's count per zone over every host, reachable or not: a zone whose host is down
  // still holds those servers until they are replaced, and counting them keeps spread honest.
  const perZone = new Map<string, number>();
  for (const h of hosts) perZone.set(h.zone, (perZone.get(h.zone) ?? 0) + h.fleetServers);
  const zoneLoad = (h: PlacementHost): number => perZone.get(h.zone) ?? 0;
  const best = [...candidates].sort((a, b) => zoneLoad(a) - zoneLoad(b) || a.zone.localeCompare(b.zone) || withinZone(a, b, policy) || a.id.localeCompare(b.id))[0];
  return best ? { hostId: best.id, zone: best.zone } : { hostId: null, reason: 'no_room' };
}

/** Negative when `a` is preferred over `b` within one zone. */
function withinZone(a: PlacementHost, b: PlacementHost, policy: PlacementPolicy): number {
  const freeA = a.capacity.slots - a.used.slots;
  const freeB = b.capacity.slots - b.used.slots;
  if (policy === 'pack') return freeA - freeB;
  return a.fleetServers - b.fleetServers || freeB - freeA;
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
