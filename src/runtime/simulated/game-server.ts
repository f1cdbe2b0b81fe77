/**
 * A simulated dedicated game server: what a real one does through the Handoff SDK, done
 * in-process on the host's clock. It boots, calls `ready`, pings health, keeps a watch on its
 * notices (reconnecting, and reporting its roster, whenever the control plane comes back),
 * admits players with the join token from their allocation (`sessionStarted`), reports them
 * leaving (`sessionEnded`, retried through a control-plane restart), lets go of the players
 * whose sessions the control plane closed, and may crash, stall or ignore SIGTERM as its
 * `GameServerBehaviour` says.
 */
import { isHandoffError } from '../../core/errors.js';
import type { SdkBackend } from '../../sdk/backend.js';
import type { Notice } from '../../sdk/protocol.js';
import { behaviourFromArgs, DEFAULT_BEHAVIOUR, type GameServerBehaviour } from './behaviour.js';
import type { SimulatedHost } from './host.js';
import type { Program, ProgramInstance, SimExit, SimProcess } from './program.js';
import { SdkUnreachable } from './sdk-link.js';

/** How a player's connection ended when the server, not the player, ended it. */
export type Disconnect =
  /** The control plane closed the session; the server told the player the notice's reason. */
  | { kind: 'closed'; reason: string; drainNoticeAt: number | null; maintenanceNoticeAt: number | null }
  /** The process ended under the player; `stopped` when a runtime had signalled it (not a crash). */
  | { kind: 'server-exit'; code: number | null; signal: string | null; stopped: boolean };

/** A player's end of the connection. */
export interface PlayerConnection {
  readonly playerId: string;
  /** The join token from the player's allocation. */
  readonly joinToken: string | null;
  /** Called at most once, when the server drops the player. Never when the player leaves. */
  disconnected(how: Disconnect): void;
}

export type JoinResult = { ok: true; sessionId: string } | { ok: false; code: string };

export class SimulatedGameServer implements ProgramInstance {
  readonly behaviour: GameServerBehaviour | null;
  /** When the server first saw a drain (or maintenance) notice still standing; null if none. */
  drainNoticeAt: number | null = null;
  maintenanceNoticeAt: number | null = null;
  /** Told the control plane it is ready: from here it admits the players it is sent. */
  private ready = false;
  private terminating = false;
  private readonly stubborn: boolean;
  private readonly players = new Map<string, { sessionId: string; conn: PlayerConnection }>();
  private readonly ending = new Set<Promise<unknown>>();
  private unsubscribe: (() => void) | null = null;
  private subscribing = false;
  private readonly unlink: () => void;
  private stalledUntil = 0;
  private nextPing: (() => void) | null = null;

  constructor(private readonly proc: SimProcess, defaults: GameServerBehaviour) {
    let behaviour: GameServerBehaviour | null = null;
    try {
      behaviour = behaviourFromArgs(defaults, proc.args);
    } catch (e) {
      proc.log(`bad arguments: ${e instanceof Error ? e.message : String(e)}`, 'stderr');
    }
    this.behaviour = behaviour;
    this.stubborn = behaviour !== null && proc.random.chance(behaviour.ignoreSigterm);
    // Told of a control plane coming back once the shortest reconnect delay has passed (one timer
    // for the whole host, not one per server), then waits out the rest of its own delay.
    const soonest = behaviour?.reconnectMs.min ?? 0;
    this.unlink = proc.sdk.onChange((up) => (up ? this.watchSoon(soonest) : (this.unsubscribe = null)), soonest);
  }

  /** Accepting players: Ready and not shutting down. */
  get accepting(): boolean {
    return this.ready && !this.terminating && this.proc.alive;
  }

  playerIds(): string[] {
    return [...this.players.keys()];
  }

  start(): void {
    const b = this.behaviour;
    // A binary given arguments it does not understand exits at once, as a real one would.
    if (!b) return this.proc.exit(2);
    this.watchSoon();
    this.proc.setTimeout(() => {
      if (this.proc.random.chance(b.crashAtStart)) return this.proc.exit(this.proc.random.pick(b.exitCodes));
      this.callReady(b);
    }, this.proc.random.uniform(b.startLatencyMs.min, b.startLatencyMs.max));
  }

  /**
   * Placed on the host already booted (`SimulatedHost.place`): Ready as if its `ready` call had
   * been answered long ago. It admits players, pings health (the first ping at a random moment
   * of its interval, as servers that booted at different times do) and connects its watch, which
   * reports its roster as after any control-plane restart; it does not call `ready` again.
   */
  resume(): void {
    const b = this.behaviour;
    if (!b) return this.proc.exit(2);
    this.ready = true;
    this.watchSoon();
    this.proc.setTimeout(() => this.running(b), this.proc.random.uniform(0, b.healthIntervalMs));
  }

  terminate(): void {
    if (this.terminating) return;
    this.terminating = true;
    if (this.stubborn) {
      this.proc.log('SIGTERM ignored');
      return;
    }
    this.proc.log('SIGTERM received, draining');
    this.proc.setTimeout(() => this.proc.exit(0), this.behaviour?.drainMs ?? 0);
  }

  exited(exit: SimExit): void {
    this.unlink();
    this.unsubscribe?.();
    this.unsubscribe = null;
    const players = [...this.players.values()];
    this.players.clear();
    for (const { conn } of players) conn.disconnected({ kind: 'server-exit', code: exit.code, signal: exit.signal, stopped: exit.stopped });
  }

  /** A player connects with the join token of their allocation; the server confirms it with the control plane. */
  async join(conn: PlayerConnection): Promise<JoinResult> {
    const b = this.behaviour;
    if (!b || !this.accepting) return { ok: false, code: 'SERVER_NOT_ACCEPTING' };
    try {
      const view = await this.retrying(b.joinRetryWindowMs, false, () =>
        this.proc.sdk.call(this.token, (backend, id) => backend.sessionStarted(id, conn.playerId, conn.joinToken)),
      );
      if (!this.proc.alive) return { ok: false, code: 'SERVER_GONE' };
      this.players.set(conn.playerId, { sessionId: view.sessionId, conn });
      return { ok: true, sessionId: view.sessionId };
    } catch (e) {
      return { ok: false, code: codeOf(e) };
    }
  }

  /**
   * Seats a player whose session the control plane's store already holds as Connected, without
   * asking it: for state written in bulk straight into the store while the control plane is down
   * (the scale bench). The player is in the roster the server reports when its watch next
   * connects, as after any control-plane restart. False when the server is not accepting.
   */
  seatConfirmed(conn: PlayerConnection, sessionId: string): boolean {
    if (!this.accepting) return false;
    this.players.set(conn.playerId, { sessionId, conn });
    return true;
  }

  /** The player leaves (or drops and does not come back): reported until delivered or the delivery window ends. */
  leave(playerId: string, reason: 'ended' | 'disconnected' = 'ended'): void {
    const p = this.players.get(playerId);
    const b = this.behaviour;
    if (!p || !b) return;
    this.players.delete(playerId);
    const delivery = this.retrying(b.deliveryWindowMs, true, () =>
      this.proc.sdk.call(this.token, (backend, id) => backend.sessionEnded(id, playerId, reason, p.sessionId)),
    ).catch((e: unknown) => this.proc.log(`sessionEnded for ${playerId} not delivered: ${codeOf(e)}`, 'stderr'));
    this.ending.add(delivery);
    void delivery.finally(() => this.ending.delete(delivery));
  }

  private get token(): string {
    return this.proc.env['HANDOFF_TOKEN'] ?? '';
  }

  private callReady(b: GameServerBehaviour): void {
    if (this.terminating) return;
    // Listening before the answer comes back, as a real server is: the control plane may send a
    // player the moment it records the server Ready, before its answer reaches the server.
    this.ready = true;
    this.proc.sdk.call(this.token, (backend, id) => backend.ready(id)).then(
      () => {
        if (this.terminating) return;
        this.proc.log('ready');
        this.running(b);
      },
      () => {
        this.ready = false;
        this.proc.setTimeout(() => this.callReady(b), 1_000);
      },
    );
  }

  /** Ready and told so: health pings, and the crashes and stalls its behaviour asks for. */
  private running(b: GameServerBehaviour): void {
    if (this.terminating) return;
    this.healthLoop(b);
    if (b.crashesPerHour > 0) this.proc.setTimeout(() => this.proc.exit(this.proc.random.pick(b.exitCodes)), this.proc.random.exponential(3_600_000 / b.crashesPerHour));
    if (b.stallsPerHour > 0) this.stallLoop(b);
  }

  private healthLoop(b: GameServerBehaviour): void {
    if (this.proc.clock.now() >= this.stalledUntil) this.proc.sdk.tell(this.token, ping);
    // One closure per server, not per ping: a scale run pings millions of times.
    this.nextPing ??= () => this.healthLoop(b);
    this.proc.setTimeout(this.nextPing, b.healthIntervalMs);
  }

  private stallLoop(b: GameServerBehaviour): void {
    this.proc.setTimeout(() => {
      this.stalledUntil = this.proc.clock.now() + b.stallMs;
      this.stallLoop(b);
    }, this.proc.random.exponential(3_600_000 / b.stallsPerHour));
  }

  /**
   * (Re)connects the notice watch after a short delay, as the SDK's watch does after a restart;
   * `waitedMs` of it have passed already.
   */
  private watchSoon(waitedMs = 0): void {
    const b = this.behaviour;
    if (!b || !this.proc.sdk.up) return;
    this.proc.setTimeout(() => this.watch(), Math.max(0, this.proc.random.uniform(b.reconnectMs.min, b.reconnectMs.max) - waitedMs));
  }

  private watch(): void {
    if (this.unsubscribe || this.subscribing || !this.proc.sdk.up) return;
    this.subscribing = true;
    this.proc.sdk.call(this.token, (backend, id) => backend.subscribe(id, (n) => this.onNotice(n))).then(
      (unsubscribe) => {
        this.subscribing = false;
        this.unsubscribe = unsubscribe;
        void this.reportRoster();
      },
      () => {
        this.subscribing = false;
        this.watchSoon();
      },
    );
  }

  /** After the watch connects: ends still in delivery first, so the report does not close those sessions as `roster`. */
  private async reportRoster(): Promise<void> {
    await Promise.allSettled([...this.ending]);
    const sessions: Record<string, string> = {};
    for (const [playerId, p] of this.players) sessions[playerId] = p.sessionId;
    await this.proc.sdk.call(this.token, (backend, id) => backend.reportRoster(id, Object.keys(sessions), sessions)).catch(() => undefined);
  }

  private onNotice(n: Notice): void {
    const now = this.proc.clock.now();
    switch (n.type) {
      case 'drain':
      case 'migrate':
        // A migrate notice announces the same deadline as a drain, plus where players will go.
        this.drainNoticeAt ??= now;
        return;
      case 'drain-cancelled':
        this.drainNoticeAt = null;
        return;
      case 'maintenance':
        this.maintenanceNoticeAt ??= now;
        return;
      case 'sessions-closed':
        for (const playerId of n.players) {
          const p = this.players.get(playerId);
          if (!p) continue;
          this.players.delete(playerId);
          p.conn.disconnected({ kind: 'closed', reason: n.reason, drainNoticeAt: this.drainNoticeAt, maintenanceNoticeAt: this.maintenanceNoticeAt });
        }
        return;
      case 'shutdown':
        this.proc.log(`shutdown notice: SIGTERM in ${n.graceMs} ms`);
    }
  }

  /**
   * Retries a call while the control plane is unreachable (and, for `idempotent` calls, while it
   * answers a retryable error), with backoff, for at most `windowMs`. A dead process stops trying.
   */
  private async retrying<T>(windowMs: number, idempotent: boolean, call: () => Promise<T>): Promise<T> {
    const deadline = this.proc.clock.now() + windowMs;
    for (let wait = 100; ; wait = Math.min(wait * 2, 5_000)) {
      try {
        return await call();
      } catch (e) {
        const retry = e instanceof SdkUnreachable || (idempotent && isHandoffError(e) && e.retryable);
        if (!retry || !this.proc.alive || this.proc.clock.now() + wait > deadline) throw e;
        await new Promise<void>((resolve) => this.proc.setTimeout(resolve, wait));
      }
    }
  }
}

/** A health ping as the SDK sends it. */
const ping = (backend: SdkBackend, serverId: string): void => backend.health(serverId);

function codeOf(e: unknown): string {
  if (isHandoffError(e)) return e.code;
  return e instanceof SdkUnreachable ? 'UNREACHABLE' : String(e);
}

/**
 * The game-server program: any executable the simulated host does not know otherwise runs it.
 * `defaults` are the runtime's behaviour; a build's `--sim-*` arguments override them.
 */
export function gameServerProgram(defaults: Partial<GameServerBehaviour> = {}): Program {
  const base = { ...DEFAULT_BEHAVIOUR, ...defaults };
  const program: Program = (proc) => new SimulatedGameServer(proc, base);
  return Object.assign(program, { validate: (args: readonly string[]) => void behaviourFromArgs(base, args) });
}

/** The simulated game server running as `serverId` on this host, if it runs one. */
export function gameServerOn(host: SimulatedHost, serverId: string): SimulatedGameServer | undefined {
  const found = host.findServer(serverId);
  const program = found ? host.programOf(found.pid) : undefined;
  return program instanceof SimulatedGameServer ? program : undefined;
}
