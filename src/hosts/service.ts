/**
 * The host registry: hosts an agent registered (persisted), their heartbeats (in memory, like
 * game-server health: persisting every beat would be write amplification) and what operators
 * asked of them (cordon, drain). The embedded host of `handoff server` is always alive.
 */
import { HandoffError } from '../core/errors.js';
import type { DrainDeadline } from '../rollout/checks.js';
import { event, type Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import { beginHostDrain, hostDrainDeadline, type HostDrain } from './plan-drain.js';
import { hostState, takesSessions } from './liveness.js';
import { HOST_ID_PATTERN, type Host, type HostRegistration, type HostSchedule, type HostState } from './model.js';

export interface HostServiceOptions {
  /** A host silent for longer is Unreachable. */
  heartbeatTimeoutMs: number;
  /** The control plane's own host (its embedded agent): registered at start, never silent. */
  embedded: HostRegistration | null;
  /** Asked when a host starts draining: mark its game servers so they take no new sessions. */
  drainServers?: (hostId: string) => Promise<void>;
  /** Asked when a drain whose deadline was announced is called off or replaced: the deadline no longer stands. */
  drainCalledOff?: (hostId: string) => Promise<void>;
}

export interface HostListing extends Host {
  state: HostState;
  embedded: boolean;
}

export class HostService {
  private readonly hosts = new Map<string, Host>();
  /** Hosts whose agent's connection was closed from their side since their last hello (in memory). */
  private readonly agentsLeft = new Set<string>();
  /** Bumped whenever a host record is added or replaced (heartbeats only touch `lastHeartbeatAt`): the placer's cue to re-file hosts by zone. */
  private changes = 0;

  private constructor(private readonly ctx: Ctx, private readonly opts: HostServiceOptions) {}

  static async create(ctx: Ctx, opts: HostServiceOptions): Promise<HostService> {
    const service = new HostService(ctx, opts);
    for (const h of await ctx.store.listHosts()) service.put(h);
    if (opts.embedded) {
      const now = ctx.clock.now();
      const known = service.hosts.get(opts.embedded.id);
      // Only its registration is refreshed in memory; its schedule (a cordon) is what was stored.
      service.put({ ...opts.embedded, schedule: known?.schedule ?? 'Ready', registeredAt: known?.registeredAt ?? now, lastHeartbeatAt: now });
      ctx.world.locations.embeddedHost = opts.embedded.id;
    }
    service.sweep();
    return service;
  }

  private put(h: Host): void {
    this.hosts.set(h.id, h);
    this.changes++;
  }

  /** A number that changes whenever a host record is added or replaced (not on heartbeats). */
  version(): number {
    return this.changes;
  }

  /** Every host, by id. */
  all(): Host[] {
    return [...this.hosts.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get alwaysAlive(): ReadonlySet<string> {
    return new Set(this.opts.embedded ? [this.opts.embedded.id] : []);
  }

  /** Hosts draining with a deadline not yet reached: what the drain pass looks at. */
  drainsPending(): { id: string; drain: HostDrain }[] {
    return this.all().flatMap((h) => (h.schedule === 'Draining' && h.drain?.deadline && h.drain.closedAt === null ? [{ id: h.id, drain: h.drain }] : []));
  }

  /** A drain pass moved on (notice sent, deadline reached): in memory now, durable with the returned mutation. */
  recordDrain(id: string, patch: Partial<HostDrain>): Mutation[] {
    const h = this.hosts.get(id);
    if (!h?.drain || Object.keys(patch).length === 0) return [];
    const next: Host = { ...h, drain: { ...h.drain, ...patch } };
    this.put(next);
    return [{ kind: 'putHost', host: next }];
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
    this.agentsLeft.delete(reg.id);
    const host: Host = { ...reg, schedule: known?.schedule ?? 'Ready', registeredAt: known?.registeredAt ?? now, lastHeartbeatAt: now };
    this.put(host);
    this.publish(host, now);
    await this.ctx.persister.persist([
      { kind: 'putHost', host },
      event(now, null, known ? 'host.reconnected' : 'host.registered', host.id, `host ${host.id} (${host.zone}/${host.region}) ${known ? 'reconnected' : 'registered'}`, { zone: host.zone, region: host.region }),
    ]);
  }

  /** The host's side closed its agent's connection: the agent exited or restarted, the machine answered. */
  agentLeft(id: string): void {
    if (this.hosts.has(id)) this.agentsLeft.add(id);
  }

  /** True when the host's agent left (see `agentLeft`) and has not said hello since. */
  hasAgentLeft(id: string): boolean {
    return this.agentsLeft.has(id);
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

  /**
   * cordon: no new servers; drain: also no new sessions on its servers, which stop once empty
   * (with `deadline`: told at its notice time, sessions left closed at it — plan-drain.ts); uncordon:
   * Ready again. A drain asked again replaces the first one's options, counted from now.
   */
  async setSchedule(id: string, schedule: HostSchedule, deadline: DrainDeadline | null = null): Promise<HostListing> {
    const h = this.require(id);
    const now = this.ctx.clock.now();
    const drain = schedule === 'Draining' ? beginHostDrain(deadline, now) : null;
    if (h.schedule !== schedule || drain !== null || (h.drain ?? null) !== null) {
      const next: Host = { ...h, schedule, drain };
      this.put(next);
      this.publish(next, now);
      const at = drain ? hostDrainDeadline(drain) : null;
      const says = at === null ? '' : ` (sessions left closed at ${new Date(at).toISOString()})`;
      await this.ctx.persister.persist([{ kind: 'putHost', host: next }, event(now, null, `host.${schedule.toLowerCase()}`, id, `host ${id} is now ${schedule}${says}`, drain?.deadline ? { ...drain.deadline } : {})]);
    }
    // Announced and not yet reached: the servers were told a deadline that no longer stands.
    if ((h.drain?.noticeAt ?? null) !== null && h.drain?.closedAt === null) await this.opts.drainCalledOff?.(id);
    if (schedule === 'Draining') await this.opts.drainServers?.(id);
    const current = this.require(id);
    return { ...current, state: this.stateOf(current, now), embedded: this.alwaysAlive.has(id) };
  }
}
