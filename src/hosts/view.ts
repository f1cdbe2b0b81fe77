import { hostState } from './liveness.js';
import type { Host, HostState } from './model.js';
import type { PlacementHost } from './place.js';

/** What the runtime knows runs on a host, per fleet and per build of a fleet (`usageKey`). */
export interface HostUsage {
  slots: number;
  byFleet: ReadonlyMap<string, number>;
  byBuild: ReadonlyMap<string, number>;
}

/** The key of a fleet's build in `HostUsage.byBuild`. */
export function usageKey(fleet: string, build: string): string {
  return `${fleet}\u0000${build}`;
}

/** The planner's view of every host at `now` for a server of `fleet` on `build`: state from liveness, usage from what runs. Pure. */
export function placementHosts(hosts: readonly Host[], usage: { get(host: string): HostUsage | undefined }, fleet: string, build: string, now: number, timeoutMs: number, alwaysAlive: ReadonlySet<string>): PlacementHost[] {
  return hosts.map((h) => {
    const u = usage.get(h.id);
    const state: HostState = alwaysAlive.has(h.id) ? h.schedule : hostState(h, now, timeoutMs);
    return { id: h.id, zone: h.zone, state, capacity: h.capacity, used: { slots: u?.slots ?? 0, cpuMillis: 0, memoryMb: 0 }, fleetServers: u?.byFleet.get(fleet) ?? 0, buildServers: u?.byBuild.get(usageKey(fleet, build)) ?? 0 };
  });
}
