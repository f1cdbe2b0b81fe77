/**
 * Placement without a view of every host per decision. `placeForFleet(placementHosts(...))`
 * builds a `PlacementHost` for each of 1,000 hosts and sums every zone on each server started:
 * ~0.4 ms a server, most of the cost of starting 100,000 of them (bench/hosts.ts). The decision
 * is the same lexicographic minimum — (zone's servers of the build, of the fleet, zone name, the
 * policy within the zone, host id) — so it can be taken zone by zone: zones ordered by their
 * totals, read from the `UsageBook` in O(1) each, and only the hosts of the first zone with room
 * scanned. The hosts of each zone are filed once per change of the registry (its `version`),
 * not per decision; each host's liveness and usage are still read at decision time, so a
 * heartbeat or a server that started a moment ago counts at once.
 *
 * Equal to the brute-force planner for every input (the property test beside this file). Pure
 * but for that filing: `now` is a parameter.
 */
import { hostState, isSchedulable } from './liveness.js';
import type { Host } from './model.js';
import { byName, type Demand, type Placement, type PlacementPolicy } from './place.js';
import type { UsageBook } from './usage-book.js';
import { usageKey, type HostUsage } from './view.js';

/** The host registry as the placer reads it. */
export interface PlacerRegistry {
  /**
   * Changes whenever a host is added, removed or replaced. A heartbeat need not change it as
   * long as it updates the host's record in place (HostService does).
   */
  version(): number;
  all(): Iterable<Host>;
}

export interface PlacerOptions {
  heartbeatTimeoutMs: number;
  /** Hosts that are never Unreachable (the control plane's own). */
  alwaysAlive: ReadonlySet<string>;
}

interface Zone {
  name: string;
  /**
   * Its hosts' records and usage, held rather than looked up per decision: a record is replaced
   * only with a new registry version (which re-files), a heartbeat updates it in place, and the
   * book's usage records live as long as the book.
   */
  hosts: { id: string; host: Host; usage: HostUsage }[];
}

export class HostPlacer {
  private filed: { version: number; book: UsageBook } | null = null;
  /** Zones by name, each with its hosts' ids. */
  private zones: Zone[] = [];

  constructor(
    private readonly registry: PlacerRegistry,
    private readonly opts: PlacerOptions,
  ) {}

  /** The host of one new server of `fleet` on `build`, as `placeForFleet` over every host's view at `now`. */
  place(book: UsageBook, fleet: string, build: string, demand: Demand, placement: { policy: PlacementPolicy; zones: readonly string[] | null }, now: number): Placement {
    this.file(book);
    const allowed = placement.zones;
    const order: { zone: Zone; build: number; fleet: number }[] = [];
    for (const zone of this.zones) {
      if (allowed !== null && !allowed.includes(zone.name)) continue;
      order.push({ zone, ...book.inZone(zone.name, fleet, build) });
    }
    order.sort((a, b) => a.build - b.build || a.fleet - b.fleet || byName(a.zone.name, b.zone.name));
    const key = usageKey(fleet, build);
    const pack = placement.policy === 'pack';
    let schedulable = false;
    for (const { zone } of order) {
      // The best host so far and its keys: no object per host scanned (this loop is the decision).
      let best: string | null = null;
      let bestBuild = 0;
      let bestFleet = 0;
      let bestFree = 0;
      for (const { id, host: h, usage: u } of zone.hosts) {
        const state = this.opts.alwaysAlive.has(id) ? h.schedule : hostState(h, now, this.opts.heartbeatTimeoutMs);
        if (!isSchedulable(state)) continue;
        schedulable = true;
        const used = u.slots;
        if (!fitsHost(h, used, demand)) continue;
        const free = h.capacity.slots - used;
        const ofBuild = u.byBuild.get(key) ?? 0;
        const ofFleet = u.byFleet.get(fleet) ?? 0;
        // As `withinZone` then the id: pack takes the fewest free slots; spread the fewest of the
        // build, then of the fleet, then the most free slots.
        const cmp = best === null ? -1 : (pack ? free - bestFree : ofBuild - bestBuild || ofFleet - bestFleet || bestFree - free) || byName(id, best);
        if (cmp < 0) {
          best = id;
          bestBuild = ofBuild;
          bestFleet = ofFleet;
          bestFree = free;
        }
      }
      if (best !== null) return { hostId: best, zone: zone.name };
    }
    return { hostId: null, reason: schedulable ? 'no_room' : 'no_schedulable_host' };
  }

  /** Files the registry's hosts by zone, and the book's counts under them, when either changed. */
  private file(book: UsageBook): void {
    const version = this.registry.version();
    if (this.filed?.version === version && this.filed.book === book) return;
    const byZone = new Map<string, Zone['hosts']>();
    const zoneOf = new Map<string, string>();
    for (const h of this.registry.all()) {
      zoneOf.set(h.id, h.zone);
      const hosts = byZone.get(h.zone) ?? [];
      byZone.set(h.zone, hosts);
      hosts.push({ id: h.id, host: h, usage: book.live(h.id) });
    }
    this.zones = [...byZone].map(([name, hosts]) => ({ name, hosts }));
    book.setZones(zoneOf);
    this.filed = { version, book };
  }
}

/** `fits` for a host whose view would use `used` slots and no cpu or memory (as `placementHosts` builds it), without building the view. */
function fitsHost(h: Host, used: number, demand: Demand): boolean {
  const c = h.capacity;
  return used + 1 <= c.slots && (c.cpuMillis === null || demand.cpuMillis <= c.cpuMillis) && (c.memoryMb === null || demand.memoryMb <= c.memoryMb);
}
