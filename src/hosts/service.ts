/**
 * The host registry: hosts an agent registered (persisted), their heartbeats (in memory, like
 * game-server health: persisting every beat would be write amplification) and what operators
 * asked of them (cordon, drain). The embedded host of `handoff server` is always alive.
 */
import { HandoffError } from '../core/errors.js';
import { event, type Ctx } from '../state/context.js';
import { hostState, takesSessions } from './liveness.js';
import { HOST_ID_PATTERN, type Host, type HostRegistration, type HostSchedule, type HostState } from './model.js';

export interface HostServiceOptions {
  /** A host silent for longer is Unreachable. */
  heartbeatTimeoutMs: number;
  /** The control plane's own host (its embedded agent): registered at start, never silent. */
  embedded: HostRegistration | null;
  /** Asked when a host starts draining: mark its game servers so they take no new sessions. */
  drainServers?: (hostId: string) => Promise<void>;
}

export interface HostListing extends Host {
  state: HostState;
  embedded: boolean;
}

export class HostService {
  private readonly hosts = new Map<string, Host>();

  private constructor(private readonly ctx: Ctx, private readonly opts: HostServiceOptions) {}

  static async create(ctx: Ctx, opts: HostServiceOptions): Promise<HostService> {
    const service = new HostService(ctx, opts);
    for (const h of await ctx.store.listHosts()) service.hosts.set(h.id, h);
    if (opts.embedded) {
      const now = ctx.clock.now();
      const known = service.hosts.get(opts.embedded.id);
      // Only its registration is refreshed in memory; its schedule (a cordon) is what was stored.
      service.hosts.set(opts.embedded.id, { ...opts.embedded, schedule: known?.schedule ?? 'Ready', registeredAt: known?.registeredAt ?? now, lastHeartbeatAt: now });
      ctx.world.locations.embeddedHost = opts.embedded.id;
    }
    service.sweep();
    return service;
  }

  /** Every host, by id. */
  all(): Host[] {
    return [...this.hosts.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get alwaysAlive(): ReadonlySet<string> {
    return new Set(this.opts.embedded ? [this.opts.embedded.id] : []);
  }

  stateOf(h: Host, now: number): HostState {
    return this.alwaysAlive.has(h.id) ? h.schedule : hostState(h, now, this.opts.heartbeatTimeoutMs);
  }

  list(now: number): HostListing[] {
    return this.all().map((h) => ({ ...h, state: this.stateOf(h, now), embedded: this.alwaysAlive.has(h.id) }));
  }

  require(id: string): Host {
    const h = this.hosts.get(id);
    if (!h) throw new HandoffError('HOST_NOT_FOUND', undefined, { hostId: id });
    return h;
  }

  /** An agent said hello: upsert its host, keeping what operators asked of it. */
  async register(reg: HostRegistration): Promise<void> {
    if (!HOST_ID_PATTERN.test(reg.id)) throw new HandoffError('VALIDATION_FAILED', `invalid host id ${reg.id}`);
    if (reg.id === this.opts.embedded?.id) throw new HandoffError('VALIDATION_FAILED', `host id ${reg.id} is the control plane's own host`);
    const now = this.ctx.clock.now();
    const known = this.hosts.get(reg.id);
    const host: Host = { ...reg, schedule: known?.schedule ?? 'Ready', registeredAt: known?.registeredAt ?? now, lastHeartbeatAt: now };
    this.hosts.set(host.id, host);
    this.publish(host, now);
    await this.ctx.persister.persist([
      { kind: 'putHost', host },
      event(now, null, known ? 'host.reconnected' : 'host.registered', host.id, `host ${host.id} (${host.zone}/${host.region}) ${known ? 'reconnected' : 'registered'}`, { zone: host.zone, region: host.region }),
    ]);
  }

  heartbeat(id: string): void {
    const h = this.hosts.get(id);
    if (!h) return;
    h.lastHeartbeatAt = this.ctx.clock.now();
    // Back from Unreachable: its servers take new sessions again at once (a no-op otherwise).
    this.publish(h, h.lastHeartbeatAt);
  }

  /**
   * Tells the allocator which hosts take new sessions now: a host silent past the timeout stops
   * taking them (losing a zone moves new sessions to the others). Liveness is a function of
   * time, so the wiring calls this every second; only hosts whose answer changed cost anything.
   */
  sweep(): void {
    const now = this.ctx.clock.now();
    for (const h of this.hosts.values()) this.publish(h, now);
  }

  private publish(h: Host, now: number): void {
    this.ctx.world.setHostLocation(h.id, { zone: h.zone, region: h.region, down: !takesSessions(this.stateOf(h, now)) });
  }

  /** cordon: no new servers; drain: also no new sessions on its servers, which stop once empty; uncordon: Ready again. */
  async setSchedule(id: string, schedule: HostSchedule): Promise<HostListing> {
    const h = this.require(id);
    const now = this.ctx.clock.now();
    if (h.schedule !== schedule) {
      const next: Host = { ...h, schedule };
      this.hosts.set(id, next);
      this.publish(next, now);
      await this.ctx.persister.persist([{ kind: 'putHost', host: next }, event(now, null, `host.${schedule.toLowerCase()}`, id, `host ${id} is now ${schedule}`)]);
    }
    if (schedule === 'Draining') await this.opts.drainServers?.(id);
    const current = this.require(id);
    return { ...current, state: this.stateOf(current, now), embedded: this.alwaysAlive.has(id) };
  }
}
