/**
 * A RuntimeProvider over many hosts: the control plane's own (embedded, the local runtime as
 * before) and every agent's (runtime/remote). `start` asks a placement function which host;
 * everything else is routed to the host a server runs on. A remote server's identity carries
 * its host (`@<host>/<identity on the host>`), so a restarted control plane routes `adopt`
 * without a new column; identities on the embedded host are unchanged from before hosts existed.
 */
import { isHandoffError } from '../../core/errors.js';
import { UsageBook } from '../../hosts/usage-book.js';
import type { AdoptResult, RuntimeExit, RuntimeInstance, RuntimeProvider, ServerLaunch } from '../port.js';

export interface MultiHostDeps {
  embedded: { hostId: string; runtime: RuntimeProvider };
  /** The runtime of a remote host (created once per host and kept). */
  remote(hostId: string): RuntimeProvider;
  /** Chooses the host of a new server of `launch.fleet`; throws HOST_CAPACITY_EXHAUSTED when none fits. */
  place(launch: ServerLaunch, usage: UsageBook): string;
  /** Hosts whose agents are connected now (asked by `find`). */
  connectedHosts(): string[];
  /** The fleet and build of a known server, for adopted ones (their launch is long gone). */
  fleetOf(serverId: string): { fleet: string; build: string } | undefined;
}

const PREFIX = /^@([^/]+)\/(.*)$/s;

interface Placed {
  host: string;
  fleet: string;
  build: string;
}

export class MultiHostRuntime implements RuntimeProvider {
  readonly kind = 'hosts';
  private readonly where = new Map<string, Placed>();
  private readonly counts = new UsageBook();
  private readonly runtimes = new Map<string, RuntimeProvider>();
  private readonly listeners: ((exit: RuntimeExit) => void)[] = [];

  constructor(private readonly deps: MultiHostDeps) {
    this.watch(deps.embedded.hostId, deps.embedded.runtime);
  }

  /** The host a server runs on, as far as this runtime knows. */
  hostOf(serverId: string): string | undefined {
    return this.where.get(serverId)?.host;
  }

  /**
   * Servers per host, fleet and build, from what this runtime started or adopted. Kept as
   * servers come and go, not counted on each call: every start asks for it, and counting a
   * 100,000-server fleet per start made starting it quadratic. Per zone too (UsageBook).
   */
  usage(): UsageBook {
    return this.counts;
  }

  async start(launch: ServerLaunch): Promise<RuntimeInstance> {
    const host = this.deps.place(launch, this.usage());
    // Counted from now: two starts in one pass must not both see the same free slot.
    this.place(launch.serverId, { host, fleet: launch.fleet, build: launch.build.id });
    try {
      return this.tag(host, await this.runtimeOf(host).start(launch));
    } catch (e) {
      this.unplace(launch.serverId);
      throw e;
    }
  }

  stop(serverId: string, opts: { graceMs: number }): Promise<void> {
    const host = this.where.get(serverId)?.host ?? this.deps.embedded.hostId;
    return this.runtimeOf(host).stop(serverId, opts);
  }

  async adopt(instances: readonly RuntimeInstance[]): Promise<AdoptResult> {
    const byHost = new Map<string, RuntimeInstance[]>();
    for (const i of instances) {
      const { host, instance } = this.untag(i);
      byHost.set(host, [...(byHost.get(host) ?? []), instance]);
    }
    const result: AdoptResult = { adopted: [], gone: [] };
    for (const [host, list] of byHost) {
      let r: AdoptResult;
      try {
        r = await this.runtimeOf(host).adopt(list);
      } catch (e) {
        if (!isHandoffError(e) || e.code !== 'HOST_UNREACHABLE') throw e;
        // Not provably gone: the host may be partitioned with players still on it. Kept until
        // its agent reports (hostReported) — cutting those players off is not ours to do.
        r = { adopted: list.map((i) => i.serverId), gone: [] };
      }
      for (const id of r.adopted) this.place(id, { host, ...(this.deps.fleetOf(id) ?? { fleet: '', build: '' }) });
      result.adopted.push(...r.adopted);
      result.gone.push(...r.gone);
    }
    return result;
  }

  async find(serverId: string): Promise<RuntimeInstance | undefined> {
    const local = await this.deps.embedded.runtime.find(serverId);
    if (local) return local;
    for (const host of this.deps.connectedHosts()) {
      const found = await this.runtimeOf(host).find(serverId).catch(() => undefined);
      if (found) return this.tag(host, found);
    }
    return undefined;
  }

  /**
   * A host's agent (re)connected and listed what it runs. A server we placed there that it does
   * not list exited while nobody watched: reported as an exit now, once.
   */
  hostReported(hostId: string, running: readonly string[]): void {
    const listed = new Set(running);
    for (const [id, w] of [...this.where]) {
      if (w.host !== hostId || listed.has(id)) continue;
      this.exited({ serverId: id, code: null, signal: null, requested: false });
    }
  }

  onExit(listener: (exit: RuntimeExit) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    for (const rt of this.runtimes.values()) await rt.close();
    this.listeners.length = 0;
  }

  private runtimeOf(host: string): RuntimeProvider {
    const known = this.runtimes.get(host);
    if (known) return known;
    const rt = this.deps.remote(host);
    this.watch(host, rt);
    return rt;
  }

  private watch(host: string, rt: RuntimeProvider): void {
    this.runtimes.set(host, rt);
    rt.onExit((exit) => {
      if ((this.where.get(exit.serverId)?.host ?? host) !== host) return;
      this.exited(exit);
    });
  }

  private exited(exit: RuntimeExit): void {
    this.unplace(exit.serverId);
    for (const listener of [...this.listeners]) listener(exit);
  }

  private place(serverId: string, p: Placed): void {
    this.unplace(serverId);
    this.where.set(serverId, p);
    this.count(p, 1);
  }

  private unplace(serverId: string): void {
    const p = this.where.get(serverId);
    if (!p) return;
    this.where.delete(serverId);
    this.count(p, -1);
  }

  private count({ host, fleet, build }: Placed, by: 1 | -1): void {
    this.counts.count(host, fleet, build, by);
  }

  private tag(host: string, i: RuntimeInstance): RuntimeInstance {
    return host === this.deps.embedded.hostId ? i : { ...i, identity: `@${host}/${i.identity}` };
  }

  private untag(i: RuntimeInstance): { host: string; instance: RuntimeInstance } {
    const m = PREFIX.exec(i.identity);
    if (!m?.[1] || m[2] === undefined) return { host: this.deps.embedded.hostId, instance: i };
    return { host: m[1], instance: { ...i, identity: m[2] } };
  }
}
