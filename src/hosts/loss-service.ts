/**
 * Host loss, the thin I/O around the pure decisions of loss.ts: a periodic pass observes the
 * hosts, their servers and sessions, plans, and commits what the plan says in one batch; a
 * host's hello (re-join) applies the fencing rule. See docs/hosts.md, "Host loss".
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { event, type Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import { liveness, planHostLoss, planRejoin, type LossHost, type LossServer, type RejoinServer } from './loss.js';

export interface HostLossDeps {
  hosts(): LossHost[];
  /** The game servers known on these hosts (fenced and stopping ones included). */
  serversOn(hostIds: ReadonlySet<string>): LossServer[];
  /** Open sessions on these servers. */
  sessionsOn(serverIds: readonly string[]): { id: string; server: string }[];
  /** Fences one server; returns what to commit. */
  fence(serverId: string, hostId: string, now: number): Mutation[];
  /** Closes one session as `host_lost`; returns what to commit. */
  closeHostLost(sessionId: string, now: number): Mutation[];
  /** Drops the host's agent connection: a black-holed socket would hold calls for ever, and the agent re-joins with a hello. */
  disconnect(hostId: string): void;
  /** Asks the runtime again to stop a server whose stop was asked while its host was away. */
  resendStop(serverId: string): void;
  /** Keeps the server until its game server reports its roster, which reconciles its sessions. */
  markUnverified(serverId: string): void;
  /** A fleet's plan may have changed (fenced servers are replaced). */
  kick(): void;
  onError(e: unknown): void;
}

export interface HostLossOptions {
  heartbeatTimeoutMs: number;
  lostTimeoutMs: number;
  intervalMs: number;
}

export class HostLossService {
  /** Hosts whose current outage was recorded: one `host.unreachable` per outage. */
  private readonly announced = new Set<string>();
  private timer: TimerHandle | null = null;
  private observingSince: number;
  private lastPassAt: number;
  private running: Promise<void> | null = null;

  constructor(private readonly ctx: Ctx, private readonly clock: Clock, private readonly deps: HostLossDeps, private readonly opts: HostLossOptions) {
    this.observingSince = clock.now();
    this.lastPassAt = this.observingSince;
  }

  start(): void {
    this.observingSince = this.clock.now();
    this.lastPassAt = this.observingSince;
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Resolves once the pass under way (if any) has committed. */
  async settled(): Promise<void> {
    await this.running;
  }

  /** One pass: plan over the current observation, commit in one batch. */
  private async pass(): Promise<void> {
    const now = this.clock.now();
    // After a stall of this process (SIGSTOP, a long pause) heartbeats queued in sockets have not
    // been read yet: silence is counted from the end of the stall, never blamed on the hosts.
    if (now - this.lastPassAt > 2 * this.opts.intervalMs + 1_000) this.observingSince = now;
    this.lastPassAt = now;
    const { heartbeatTimeoutMs, lostTimeoutMs } = this.opts;
    const hosts = this.deps.hosts();
    // Only the servers and sessions of silent hosts are read: a pass over a healthy fleet is cheap.
    const down = new Set(hosts.filter((h) => liveness(h, now, this.observingSince, heartbeatTimeoutMs, lostTimeoutMs) !== 'alive').map((h) => h.id));
    for (const id of [...this.announced]) if (!down.has(id)) this.announced.delete(id);
    if (down.size === 0) return;
    const servers = this.deps.serversOn(down);
    const actions = planHostLoss({
      hosts, servers, sessions: this.deps.sessionsOn(servers.map((s) => s.id)), announced: this.announced,
      now, observingSince: this.observingSince, heartbeatTimeoutMs, lostTimeoutMs,
    });
    if (actions.length === 0) return;
    const mutations: Mutation[] = [];
    const lost = new Map<string, number>();
    for (const a of actions) {
      if (a.kind === 'unreachable') {
        this.announced.add(a.hostId);
        this.deps.disconnect(a.hostId);
        mutations.push(event(now, null, 'host.unreachable', a.hostId, `host ${a.hostId} silent for ${a.silentMs} ms: Unreachable; its servers are fenced and replaced, their sessions kept open`, { silentMs: a.silentMs }));
      } else if (a.kind === 'fence') {
        mutations.push(...this.deps.fence(a.serverId, a.hostId, now));
      } else {
        const closed = this.deps.closeHostLost(a.sessionId, now);
        if (closed.length > 0) lost.set(a.hostId, (lost.get(a.hostId) ?? 0) + 1);
        mutations.push(...closed);
      }
    }
    for (const [hostId, sessions] of lost) {
      mutations.push(event(now, null, 'host.lost', hostId, `host ${hostId} silent past ${this.opts.lostTimeoutMs} ms: ${sessions} session(s) closed as host_lost`, { sessions }));
    }
    if (mutations.length > 0) await this.ctx.persister.persist(mutations);
    this.deps.kick();
  }

  /**
   * A host's agent said hello listing the servers it runs: the fencing rule (planRejoin). Fenced
   * servers stay fenced — Draining, never allocatable twice — and are kept until their rosters
   * reconcile their sessions; stops it could not hear are sent again.
   */
  async rejoined(hostId: string, reported: readonly string[]): Promise<void> {
    const wasAway = this.announced.delete(hostId);
    const known: RejoinServer[] = this.deps.serversOn(new Set([hostId])).filter((s) => !s.terminal).map((s) => ({ id: s.id, fenced: s.fenced, stopRequested: s.stopRequested }));
    const plan = planRejoin(known, reported);
    for (const id of plan.reconcile) this.deps.markUnverified(id);
    for (const id of plan.stopAgain) this.deps.resendStop(id);
    if (!wasAway && plan.reconcile.length === 0) return;
    const now = this.clock.now();
    await this.ctx.persister.persist([
      event(now, null, 'host.rejoined', hostId, `host ${hostId} re-joined: ${plan.drain.length} fenced server(s) drain, ${plan.stopAgain.length} stop(s) sent again`, { fenced: plan.drain, stoppedAgain: plan.stopAgain }),
    ]);
    this.deps.kick();
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.running = this.pass().catch((e: unknown) => this.deps.onError(e)).finally(() => {
        this.running = null;
        if (this.timer !== null) this.schedule();
      });
    }, this.opts.intervalMs);
  }
}
