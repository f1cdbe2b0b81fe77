/**
 * Game-server lifecycle I/O: launching through the runtime, SDK lifecycle calls, stopping,
 * exits, and re-adoption after a control-plane restart. The record is written before the
 * process is spawned, so a crash in between leaves a record to clean up, never an unknown process.
 */
import { HandoffError } from '../core/errors.js';
import { newId, newToken } from '../core/ids.js';
import type { RuntimeExit, RuntimeInstance, RuntimeProvider } from '../runtime/port.js';
import { occupancyChanged, type SessionService } from '../session/service.js';
import { event, type Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import type { GameServer } from './model.js';
import { startBackoffMs, type StopReason } from './plan-fleet.js';
import { sdkEnv } from './sdk-env.js';

export interface ServerServiceOptions {
  /**
   * Every live replica's SDK endpoint, this control plane's first (just this one without
   * replicas). Known only once the SDK endpoint listens, hence a function.
   */
  sdkUrls: () => readonly string[];
  /** Crash-loop backoff for a build whose servers keep failing to start. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  kick: (fleet: string) => void;
  /**
   * A server failed to start (crashed or timed out before Ready). What that means for a release
   * is the release's business: the coordinator above both domains wires it in.
   */
  onStartFailure?: (server: GameServer, detail: string, now: number) => Mutation[];
}

export class ServerService {
  /** fleet/build → consecutive start failures and the earliest next start. */
  private readonly backoff = new Map<string, { failures: number; notBefore: number }>();

  constructor(
    private readonly ctx: Ctx,
    private readonly runtime: RuntimeProvider,
    private readonly sessions: SessionService,
    private readonly opts: ServerServiceOptions,
  ) {}

  startNotBefore(fleet: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const [k, v] of this.backoff) {
      const [f, b] = k.split('\u0000');
      if (f === fleet && b !== undefined) out.set(b, v.notBefore);
    }
    return out;
  }

  /** Creates the Starting record synchronously (so the next pass counts it), then spawns. */
  launch(fleetName: string, buildId: string, now: number): Promise<void> {
    const build = this.ctx.world.builds.get(buildId);
    if (!build) return Promise.resolve();
    const server: GameServer = {
      id: newId('srv'), fleet: fleetName, build: buildId, state: 'Starting', address: '', ports: {},
      capacity: build.sessionsPerServer, token: newToken(), pid: null, identity: null, logPath: null,
      createdAt: now, readyAt: null, lastHealthAt: null, emptySince: null, drainReason: null, drainDeadline: null,
      stopRequestedAt: null, stoppedAt: null, exitCode: null, exitSignal: null,
    };
    this.ctx.world.putServer(server);
    const env = {
      ...sdkEnv(this.opts.sdkUrls(), build), HANDOFF_SERVER_ID: server.id, HANDOFF_TOKEN: server.token,
      HANDOFF_FLEET: fleetName, HANDOFF_BUILD: buildId, HANDOFF_BUILD_VERSION: build.version,
    };
    // Durable before spawn: a restart finds the record, never an unknown process.
    return this.ctx.persister
      .persist([{ kind: 'putServer', server }])
      .then(() => this.runtime.start({ serverId: server.id, fleet: fleetName, build, env }))
      .then((inst) => this.attach(inst))
      .catch((e: unknown) => this.startFailed(server.id, e instanceof HandoffError ? e.message : String(e)));
  }

  private async attach(inst: RuntimeInstance): Promise<void> {
    const s = this.ctx.world.servers.get(inst.serverId);
    // The process may already have exited (and been recorded) before start() resolved.
    if (!s) return;
    const next: GameServer = { ...s, pid: inst.pid, identity: inst.identity, address: inst.address, ports: inst.ports, logPath: inst.logPath };
    this.ctx.world.putServer(next);
    await this.ctx.persister.persist([
      { kind: 'putServer', server: next },
      event(this.ctx.clock.now(), s.fleet, 'server.started', s.id, `server ${s.id} (${s.build}) spawned as pid ${inst.pid}`, { ports: inst.ports, log: inst.logPath, build: s.build }),
    ]);
    // Stopped while it was still spawning: the runtime did not know it then, so stop it now.
    if (next.stopRequestedAt !== null) this.signalStop(next);
  }

  private signalStop(s: GameServer): void {
    const graceMs = (this.ctx.world.fleets.get(s.fleet)?.health.stopGraceSeconds ?? 10) * 1000;
    this.ctx.notify(s.id, { type: 'shutdown', graceMs, at: this.ctx.clock.now() });
    void this.runtime.stop(s.id, { graceMs }).catch(() => undefined);
  }

  private async startFailed(serverId: string, detail: string): Promise<void> {
    const s = this.ctx.world.servers.get(serverId);
    if (!s) return;
    const now = this.ctx.clock.now();
    const crashed: GameServer = { ...s, state: 'Crashed', stoppedAt: now };
    this.ctx.world.putServer(crashed);
    await this.ctx.persister.persist([
      { kind: 'putServer', server: crashed },
      ...this.countStartFailure(crashed, detail, now),
      event(now, s.fleet, 'server.start_failed', s.id, detail, { build: s.build }),
    ]);
    this.opts.kick(s.fleet);
  }

  private countStartFailure(s: GameServer, detail: string, now: number): Mutation[] {
    const key = `${s.fleet}\u0000${s.build}`;
    const failures = (this.backoff.get(key)?.failures ?? 0) + 1;
    this.backoff.set(key, { failures, notBefore: now + startBackoffMs(failures, this.opts.backoffBaseMs, this.opts.backoffMaxMs) });
    return this.opts.onStartFailure?.(s, detail, now) ?? [];
  }

  async ready(serverId: string): Promise<void> {
    const s = this.require(serverId);
    // A repeat (SDK retry) answers once the first call's change is durable.
    if (s.state !== 'Starting' && s.state !== 'Unhealthy') return this.ctx.persister.persist([]);
    const now = this.ctx.clock.now();
    const next: GameServer = { ...s, state: 'Ready', readyAt: s.readyAt ?? now, lastHealthAt: now, emptySince: now };
    this.ctx.world.putServer(next);
    // Only now able to host players: an adopted server that was still starting is empty.
    if (s.state === 'Starting') this.sessions.rosters.verify(serverId);
    this.backoff.delete(`${s.fleet}\u0000${s.build}`);
    await this.ctx.persister.persist([
      { kind: 'putServer', server: next },
      ...occupancyChanged(this.ctx, serverId, now),
      event(now, s.fleet, 'server.ready', s.id, `server ${s.id} (${s.build}) is Ready`, { build: s.build }),
    ]);
    this.opts.kick(s.fleet);
  }

  /** Liveness is kept in memory only: persisting every ping would be write amplification. */
  health(serverId: string): void {
    const s = this.require(serverId);
    s.lastHealthAt = this.ctx.clock.now();
    // A ping only moves a healthy server's deadline later (a pass that looks early finds nothing
    // to do), but it makes an Unhealthy one healthy: the next pass must look at it.
    if (s.state === 'Unhealthy') this.ctx.world.touch(serverId);
  }

  async setCapacity(serverId: string, capacity: number): Promise<void> {
    const s = this.require(serverId);
    const next = { ...s, capacity };
    this.ctx.world.putServer(next);
    await this.ctx.persister.persist([{ kind: 'putServer', server: next }]);
  }

  async requestShutdown(serverId: string): Promise<void> {
    const s = this.require(serverId);
    if (s.state === 'Draining') return this.ctx.persister.persist([]);
    const now = this.ctx.clock.now();
    const next: GameServer = { ...s, state: 'Draining', drainReason: 'shutdown-requested' };
    this.ctx.world.putServer(next);
    // Its own request: what it hosts ends with its sessions, which the store is trusted to know.
    this.sessions.rosters.verify(serverId);
    await this.ctx.persister.persist([{ kind: 'putServer', server: next }, event(now, s.fleet, 'server.draining', s.id, 'the game server asked to shut down')]);
    this.opts.kick(s.fleet);
  }

  /**
   * Its host is draining (src/hosts): no new sessions from now on. The fleet planner stops a
   * Draining server once it is empty and, missing its capacity, starts a replacement elsewhere.
   */
  async drainForHost(serverId: string, hostId: string): Promise<void> {
    const s = this.require(serverId);
    if (s.state === 'Draining' || s.stopRequestedAt !== null) return;
    const now = this.ctx.clock.now();
    const next: GameServer = { ...s, state: 'Draining', drainReason: 'host-draining' };
    this.ctx.world.putServer(next);
    await this.ctx.persister.persist([{ kind: 'putServer', server: next }, event(now, s.fleet, 'server.draining', s.id, `host ${hostId} is draining`, { host: hostId })]);
    this.opts.kick(s.fleet);
  }

  /**
   * Its host was declared Unreachable (src/hosts/loss.ts): fenced — Draining, never allocatable
   * again, no longer the fleet's capacity, so the planner replaces it elsewhere. Its sessions
   * stay open (the players may still be playing); it is stopped once empty. Returns the
   * mutations to commit ([] when there is nothing to fence).
   */
  fence(serverId: string, hostId: string, now: number): Mutation[] {
    const s = this.ctx.world.servers.get(serverId);
    if (!s || (s.fencedAt ?? null) !== null || s.stopRequestedAt !== null || s.state === 'Crashed' || s.state === 'Stopped') return [];
    const next: GameServer = { ...s, state: 'Draining', drainReason: s.drainReason ?? 'host-unreachable', fencedAt: now };
    this.ctx.world.putServer(next);
    return [{ kind: 'putServer', server: next }, event(now, s.fleet, 'server.fenced', s.id, `host ${hostId} is unreachable: ${s.id} takes no new sessions and is replaced`, { host: hostId, build: s.build, sessions: this.ctx.world.used(s.id) })];
  }

  /** Asks the runtime again to stop a server whose stop its host could not hear (it was unreachable). */
  resendStop(serverId: string): void {
    const s = this.ctx.world.servers.get(serverId);
    if (s && s.stopRequestedAt !== null && s.pid !== null) this.signalStop(s);
  }

  /** Marks the server Draining (no new sessions from this instant) and asks the runtime to stop it. */
  stop(serverId: string, reason: StopReason, now: number): Mutation[] {
    const s = this.ctx.world.servers.get(serverId);
    // The planner never asks for these; this guard keeps a stop from ever cutting players off.
    if (!s || s.stopRequestedAt !== null || this.ctx.world.used(serverId) > 0 || this.sessions.rosters.holds(serverId)) return [];
    const next: GameServer = { ...s, state: 'Draining', drainReason: s.drainReason ?? reason, stopRequestedAt: now };
    this.ctx.world.putServer(next);
    // Signal only once `Draining` is durable: the caller commits these mutations in this same
    // turn, so the empty batch below lands with them. A crash before then leaves a Ready server,
    // not a dying one that a restarted control plane would hand players to.
    void this.ctx.persister.persist([]).then(
      () => {
        const current = this.ctx.world.servers.get(serverId);
        if (current && current.pid !== null) this.signalStop(current);
      },
      () => undefined,
    );
    return [{ kind: 'putServer', server: next }, event(now, s.fleet, 'server.stopping', s.id, `stopping ${s.id}: ${reason}`, { reason })];
  }

  async onExit(exit: RuntimeExit): Promise<void> {
    // Its sessions are closed with it: every one of them, also those not yet loaded after a cold start.
    await this.sessionsLoaded(exit.serverId);
    const s = this.ctx.world.servers.get(exit.serverId);
    if (!s) return;
    await this.ctx.persister.persist(this.exited(exit, this.ctx.clock.now()));
    this.opts.kick(s.fleet);
  }

  /** Records an exit in memory and returns the mutations that make it durable ([] for an unknown server). */
  private exited(exit: RuntimeExit, now: number): Mutation[] {
    const s = this.ctx.world.servers.get(exit.serverId);
    if (!s) return [];
    const requested = exit.requested || s.stopRequestedAt !== null;
    const state = requested ? 'Stopped' : 'Crashed';
    const mutations: Mutation[] = [];
    for (const sess of this.ctx.world.sessionsOn(s.id)) {
      mutations.push(...this.sessions.closeInMemory(sess.id, requested ? 'server_stopped' : 'server_crashed', now));
    }
    const done: GameServer = { ...s, state, stoppedAt: now, exitCode: exit.code, exitSignal: exit.signal };
    this.ctx.world.putServer(done);
    this.sessions.rosters.forget(s.id);
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
    mutations.push({ kind: 'putServer', server: done }, event(now, s.fleet, requested ? 'server.stopped' : 'server.crashed', s.id, `${s.id} ${requested ? 'stopped' : 'crashed'} (${how})`, { code: exit.code, signal: exit.signal, build: s.build, starting: s.state === 'Starting' }));
    if (!requested && s.state === 'Starting') mutations.push(...this.countStartFailure(s, `${how} before Ready (log: ${s.logPath ?? 'n/a'})`, now));
    return mutations;
  }

  /**
   * After a restart: re-attach to servers that are still running, account for those that are
   * not — every server, or those given (a large cold start adopts fleet by fleet, fleet-adoption.ts).
   */
  async recover(only?: readonly GameServer[]): Promise<void> {
    const now = this.ctx.clock.now();
    const known: RuntimeInstance[] = [];
    const gone: Mutation[] = [];
    for (const s of only ?? [...this.ctx.world.servers.values()]) {
      if (s.pid !== null && s.identity !== null) {
        known.push({ serverId: s.id, pid: s.pid, identity: s.identity, address: s.address, ports: s.ports, logPath: s.logPath ?? '' });
        continue;
      }
      // The control plane died between spawning this server and recording its pid.
      const found = await this.runtime.find(s.id);
      if (found) {
        known.push(found);
        const next: GameServer = { ...s, pid: found.pid, identity: found.identity, address: found.address, ports: found.ports, logPath: found.logPath };
        this.ctx.world.putServer(next);
        await this.ctx.persister.persist([{ kind: 'putServer', server: next }, event(now, s.fleet, 'server.recovered', s.id, `found ${s.id} running as pid ${found.pid} without a record of it`)]);
      } else {
        // Never spawned: nothing runs, nothing to stop.
        await this.sessionsLoaded(s.id);
        gone.push(...this.exited({ serverId: s.id, code: null, signal: null, requested: true }, now));
      }
    }
    const result = await this.runtime.adopt(known);
    for (const id of result.adopted) {
      const s = this.ctx.world.servers.get(id);
      if (!s) continue;
      // The store may have lost sessions (a damaged WAL): until this server is observed (its
      // roster, a session end that leaves it empty, its shutdown request), it is kept.
      this.sessions.rosters.markUnverified(id);
      // Give adopted servers a fresh health window: their pings could not reach us while we were down.
      s.lastHealthAt = now;
      if (s.stopRequestedAt !== null) this.signalStop(s);
    }
    for (const id of result.gone) {
      await this.sessionsLoaded(id);
      gone.push(...this.exited({ serverId: id, code: null, signal: null, requested: false }, now));
    }
    // One commit for every server found gone (a new simulated host finds all 100,000 gone), not one each.
    await this.ctx.persister.persist(gone);
  }

  /** While sessions load after a cold start: this server's open sessions are read in first. */
  private async sessionsLoaded(serverId: string): Promise<void> {
    if (this.ctx.world.sessionsLoading) await this.ctx.sessionLoad?.server(serverId);
  }

  private require(serverId: string): GameServer {
    const s = this.ctx.world.servers.get(serverId);
    if (!s) throw new HandoffError('SERVER_NOT_FOUND', undefined, { serverId });
    return s;
  }
}
