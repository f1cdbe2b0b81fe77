/**
 * Where each game server runs: its host (read from the server's runtime identity), and that
 * host's zone, region and whether it takes new sessions, as the host registry last said. Kept
 * beside the `World` so the allocator's candidates carry their location and a host that goes
 * down or comes back re-syncs only its own servers in the capacity index.
 */
import { hostInIdentity } from '../hosts/model.js';
import type { LocationTier } from '../allocation/regions.js';

export interface HostLocation {
  zone: string;
  region: string;
  /** Takes no new sessions (Unreachable or Draining); its players are left alone. */
  down: boolean;
}

export interface ServerLocation extends HostLocation {
  host: string;
}

/** '' stands for the control plane's own host, whatever its id (set later by the wiring). */
const EMBEDDED = '';

export class ServerLocations {
  /** The control plane's own host id: servers whose identity names no host run there. */
  embeddedHost = 'local';
  private readonly hosts = new Map<string, HostLocation>();
  private readonly hostOfServer = new Map<string, string>();
  private readonly serversOn = new Map<string, Set<string>>();

  /** Notes the host a server runs on (from its identity); call on every change to the server. */
  track(serverId: string, identity: string | null): void {
    const host = hostInIdentity(identity) ?? EMBEDDED;
    const was = this.hostOfServer.get(serverId);
    if (was === host) return;
    if (was !== undefined) this.serversOn.get(was)?.delete(serverId);
    this.hostOfServer.set(serverId, host);
    let set = this.serversOn.get(host);
    if (!set) this.serversOn.set(host, (set = new Set()));
    set.add(serverId);
  }

  untrack(serverId: string): void {
    const was = this.hostOfServer.get(serverId);
    if (was === undefined) return;
    this.hostOfServer.delete(serverId);
    const set = this.serversOn.get(was);
    set?.delete(serverId);
    if (set?.size === 0) this.serversOn.delete(was);
  }

  /** Records a host's location; returns the servers on it, whose entries must be re-synced. */
  setHost(hostId: string, loc: HostLocation): string[] {
    const known = this.hosts.get(hostId);
    if (known && known.zone === loc.zone && known.region === loc.region && known.down === loc.down) return [];
    this.hosts.set(hostId, { ...loc });
    const key = hostId === this.embeddedHost ? EMBEDDED : hostId;
    return [...(this.serversOn.get(key) ?? [])];
  }

  /** Where a server runs; undefined when its host has not been heard of. */
  of(serverId: string): ServerLocation | undefined {
    const key = this.hostOfServer.get(serverId);
    if (key === undefined) return undefined;
    const host = key === EMBEDDED ? this.embeddedHost : key;
    const loc = this.hosts.get(host);
    return loc ? { host, ...loc } : undefined;
  }

  /** Where a server's host is, the registry's own record (not a copy: do not change it); undefined when unheard of. */
  hostLocation(serverId: string): Readonly<HostLocation> | undefined {
    const key = this.hostOfServer.get(serverId);
    if (key === undefined) return undefined;
    return this.hosts.get(key === EMBEDDED ? this.embeddedHost : key);
  }

  /** Whether any known host is in the tier's zone or region (anywhere: any host at all). */
  knows(tier: LocationTier): boolean {
    if (tier.kind === 'any') return this.hosts.size > 0;
    for (const h of this.hosts.values()) if ((tier.kind === 'zone' ? h.zone : h.region) === tier.name) return true;
    return false;
  }
}
