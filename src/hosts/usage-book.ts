/**
 * What runs where, for placement: servers per host, per fleet and per build of a fleet, and the
 * same summed per zone. Kept up to date as servers come and go (MultiHostRuntime counts every
 * start, adoption and exit), so a placement decision reads a zone's totals in O(1) instead of
 * summing every host's counts: over 1,000 hosts that sum, and the per-host view it was built
 * from, were most of the cost of starting a server (bench/hosts.ts).
 *
 * Zones come from the host registry, which the book does not own: `setZones` (called by the
 * placer when the registry changed) re-files every host's counts under its current zone. A host
 * with no zone (not registered) counts for itself but for no zone, as `placementHosts` only
 * sees registered hosts. No I/O, no clock.
 */
import { usageKey, type HostUsage } from './view.js';

interface Counts {
  slots: number;
  byFleet: Map<string, number>;
  byBuild: Map<string, number>;
}

const empty = (): Counts => ({ slots: 0, byFleet: new Map(), byBuild: new Map() });

export class UsageBook implements Iterable<[string, HostUsage]> {
  private readonly hosts = new Map<string, Counts>();
  private readonly zones = new Map<string, Counts>();
  private zoneOf: ReadonlyMap<string, string> = new Map();

  /** One server of `fleet` on `build` more (`by` 1) or fewer (-1) on `host`. */
  count(host: string, fleet: string, build: string, by: 1 | -1): void {
    let h = this.hosts.get(host);
    if (!h) this.hosts.set(host, (h = empty()));
    add(h, fleet, usageKey(fleet, build), by);
    const zone = this.zoneOf.get(host);
    if (zone === undefined) return;
    let z = this.zones.get(zone);
    if (!z) this.zones.set(zone, (z = empty()));
    add(z, fleet, usageKey(fleet, build), by);
  }

  /**
   * What runs on a host, as a record kept up to date from now on (the same object for as long
   * as the book lives): the placer holds it instead of looking the host up per decision.
   */
  live(host: string): HostUsage {
    let h = this.hosts.get(host);
    if (!h) this.hosts.set(host, (h = empty()));
    return h;
  }

  /** What runs on a host; undefined when nothing ever did. */
  get(host: string): HostUsage | undefined {
    return this.hosts.get(host);
  }

  [Symbol.iterator](): Iterator<[string, HostUsage]> {
    return this.hosts.entries();
  }

  /** Files every host under `zoneOf` (host → zone) from now on: O(hosts × their fleets and builds). */
  setZones(zoneOf: ReadonlyMap<string, string>): void {
    this.zoneOf = zoneOf;
    this.zones.clear();
    for (const [host, h] of this.hosts) {
      const zone = zoneOf.get(host);
      if (zone === undefined) continue;
      let z = this.zones.get(zone);
      if (!z) this.zones.set(zone, (z = empty()));
      z.slots += h.slots;
      for (const [k, n] of h.byFleet) z.byFleet.set(k, (z.byFleet.get(k) ?? 0) + n);
      for (const [k, n] of h.byBuild) z.byBuild.set(k, (z.byBuild.get(k) ?? 0) + n);
    }
  }

  /** Servers of `fleet`, and of its `build`, on the registered hosts of `zone`. */
  inZone(zone: string, fleet: string, build: string): { fleet: number; build: number } {
    const z = this.zones.get(zone);
    return { fleet: z?.byFleet.get(fleet) ?? 0, build: z?.byBuild.get(usageKey(fleet, build)) ?? 0 };
  }
}

function add(c: Counts, fleet: string, key: string, by: 1 | -1): void {
  c.slots += by;
  const f = (c.byFleet.get(fleet) ?? 0) + by;
  if (f === 0) c.byFleet.delete(fleet);
  else c.byFleet.set(fleet, f);
  const b = (c.byBuild.get(key) ?? 0) + by;
  if (b === 0) c.byBuild.delete(key);
  else c.byBuild.set(key, b);
}
