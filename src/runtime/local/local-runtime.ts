import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { SystemClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { HandoffError, toHandoffError } from '../../core/errors.js';
import { makePrivateDir } from '../../core/private-files.js';
import type { AdoptResult, RuntimeExit, RuntimeInstance, RuntimeProvider, ServerLaunch } from '../port.js';
import { resolveExecutable } from './executable.js';
import { resolveLocalRuntimeOptions, type LocalRuntimeOptions, type ResolvedLocalRuntimeOptions } from './options.js';
import { PortAllocator } from './ports.js';
import { formatIdentity, pidExists, processIdentity, readBootId, signalGroup } from './proc.js';
import { LogKeeper } from './log-keeper.js';
import { findServerProcess, liveServerIds } from './scan.js';
import { serverEnv, spawnDetached, type Spawned } from './spawn.js';
import { SpawnQueue } from './spawn-queue.js';

/** A server this runtime watches: one it started, or one it adopted after a restart. */
interface Tracked {
  readonly instance: RuntimeInstance;
  /** Undefined when adopted: we are not its parent, so no 'exit' event comes and we poll. */
  readonly child: ChildProcess | undefined;
  requested: boolean;
  killTimer: TimerHandle | undefined;
  readonly waiters: { resolve: () => void; reject: (e: Error) => void }[];
}

export interface LocalRuntimeDeps {
  ports: PortAllocator;
  clock: Clock;
  /** This boot of the host; part of every identity (see `processIdentity`). */
  bootId: string;
}

/**
 * The RuntimeProvider adapter for game servers running as local processes (Linux: identity
 * comes from /proc). Servers run in their own process group and outlive this object and the
 * control plane; a restarted control plane re-attaches to them with `adopt`.
 */
export class LocalRuntime implements RuntimeProvider {
  readonly kind = 'local';
  private readonly servers = new Map<string, Tracked>();
  private readonly starting = new Set<string>();
  private readonly listeners: ((exit: RuntimeExit) => void)[] = [];
  private pollTimer: TimerHandle | undefined;
  private closed = false;
  private readonly spawns = new SpawnQueue();
  private readonly logs: LogKeeper;

  /** Validates the options, creates the log directory and reads the host's boot id. */
  static create(opts: LocalRuntimeOptions): LocalRuntime {
    const options = resolveLocalRuntimeOptions(opts);
    makePrivateDir(options.logDir);
    let bootId: string;
    try {
      bootId = readBootId();
    } catch (e) {
      throw new Error('LocalRuntime needs Linux /proc to identify processes', { cause: e });
    }
    return new LocalRuntime(options, {
      ports: new PortAllocator(options.portRange),
      clock: opts.clock ?? new SystemClock(),
      bootId,
    });
  }

  constructor(
    private readonly options: ResolvedLocalRuntimeOptions,
    private readonly deps: LocalRuntimeDeps,
  ) {
    this.logs = new LogKeeper({
      dir: options.logDir, policy: options.logs, clock: deps.clock, checkMs: options.logCheckMs,
      running: () => new Set([...this.servers.keys(), ...this.starting]),
      alive: liveServerIds,
      onError: (e) => process.emitWarning(`game-server log upkeep failed: ${e instanceof Error ? e.message : String(e)}`),
    });
    this.logs.start();
  }

  async start(launch: ServerLaunch): Promise<RuntimeInstance> {
    this.assertOpen();
    const { serverId } = launch;
    // The id becomes a file name: refuse anything that could escape the log directory.
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(serverId)) throw startFailed(serverId, 'the server id is not a safe file name');
    if (this.servers.has(serverId) || this.starting.has(serverId)) throw startFailed(serverId, 'a server with this id is already running');
    this.starting.add(serverId);
    try {
      return await this.spawnServer(launch);
    } finally {
      this.starting.delete(serverId);
    }
  }

  async stop(serverId: string, opts: { graceMs: number }): Promise<void> {
    this.assertOpen();
    const tracked = this.servers.get(serverId);
    if (!tracked) return;
    const done = new Promise<void>((resolve, reject) => tracked.waiters.push({ resolve, reject }));
    // Only the first request signals and sets the deadline; later ones just wait for the exit.
    if (!tracked.requested) {
      tracked.requested = true;
      this.signal(tracked, 'SIGTERM');
      if (this.servers.get(serverId) === tracked) {
        tracked.killTimer = this.deps.clock.setTimeout(() => {
          tracked.killTimer = undefined;
          this.signal(tracked, 'SIGKILL');
        }, Math.max(0, opts.graceMs));
      }
    }
    return done;
  }

  async adopt(instances: readonly RuntimeInstance[]): Promise<AdoptResult> {
    this.assertOpen();
    const result: AdoptResult = { adopted: [], gone: [] };
    for (const instance of instances) {
      const known = this.servers.get(instance.serverId);
      const ours = known
        ? known.instance.pid === instance.pid && known.instance.identity === instance.identity
        : pidExists(instance.pid) && processIdentity(instance.pid, this.deps.bootId) === instance.identity;
      if (!ours) {
        result.gone.push(instance.serverId);
        continue;
      }
      if (!known) {
        const copy = { ...instance, ports: { ...instance.ports } };
        this.servers.set(instance.serverId, { instance: copy, child: undefined, requested: false, killTimer: undefined, waiters: [] });
        this.deps.ports.reserve(copy.ports);
      }
      result.adopted.push(instance.serverId);
    }
    this.schedulePoll();
    return result;
  }

  async find(serverId: string): Promise<RuntimeInstance | undefined> {
    this.assertOpen();
    return this.servers.get(serverId)?.instance ?? findServerProcess(serverId, this.deps.bootId, this.options.logDir);
  }

  onExit(listener: (exit: RuntimeExit) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Stops watching and leaves every server running. A `stop` still waiting for its exit rejects
   * with SHUTTING_DOWN and its SIGKILL deadline is dropped: the next control plane adopts the
   * server and decides again.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pollTimer) this.deps.clock.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    const closing = new HandoffError('SHUTTING_DOWN', 'The runtime was closed before the server exited');
    for (const tracked of this.servers.values()) {
      if (tracked.killTimer) this.deps.clock.clearTimeout(tracked.killTimer);
      tracked.child?.removeAllListeners('exit');
      for (const waiter of tracked.waiters) waiter.reject(closing);
    }
    this.servers.clear();
    this.listeners.length = 0;
    await this.logs.stop();
  }

  private async spawnServer(launch: ServerLaunch): Promise<RuntimeInstance> {
    const { serverId, build } = launch;
    const { address, logDir } = this.options;
    const cwd = path.resolve(build.launch.workingDir ?? process.cwd());
    // Resolved with the PATH the server itself will see.
    const pathEnv = launch.env.PATH ?? build.launch.env.PATH ?? process.env.PATH;
    const file = resolveExecutable(build.launch.executable, cwd, pathEnv);
    if (!file) throw startFailed(serverId, `executable '${build.launch.executable}' not found or not executable (cwd ${cwd})`);

    const ports = await this.deps.ports.allocate(build.ports);
    const logPath = path.join(logDir, `${serverId}.log`);
    let spawned: Spawned;
    try {
      const env = serverEnv(process.env, launch, address, ports);
      spawned = await this.spawns.run(() => spawnDetached({ file, args: build.launch.args, cwd, env, logPath }));
    } catch (e) {
      this.deps.ports.release(ports);
      throw startFailed(serverId, e instanceof Error ? e.message : String(e));
    }
    const { child, pid, stat } = spawned;
    if (!stat) {
      // Without an identity the server could never be adopted safely: do not leave it behind.
      signalGroup(pid, 'SIGKILL');
      this.deps.ports.release(ports);
      throw startFailed(serverId, `cannot read /proc/${pid}/stat`);
    }
    const instance: RuntimeInstance = { serverId, pid, identity: formatIdentity(this.deps.bootId, stat), address, ports, logPath };
    // Closed meanwhile: the caller still records the instance and the next control plane adopts it.
    if (this.closed) return instance;
    const tracked: Tracked = { instance, child, requested: false, killTimer: undefined, waiters: [] };
    this.servers.set(serverId, tracked);
    child.once('exit', (code, signal) => this.finish(tracked, code, signal));
    return instance;
  }

  /** Signals the server's process group; an adopted server is re-identified first. */
  private signal(tracked: Tracked, signal: NodeJS.Signals): void {
    const { pid, identity } = tracked.instance;
    // Never signal an adopted PID without proof it is still ours: it may have been recycled.
    if (!tracked.child && processIdentity(pid, this.deps.bootId) !== identity) {
      this.finish(tracked, null, null);
      return;
    }
    try {
      // false: already gone; the exit arrives through the 'exit' event or the next poll.
      signalGroup(pid, signal);
    } catch (e) {
      const error = toHandoffError(e);
      for (const waiter of tracked.waiters.splice(0)) waiter.reject(error);
    }
  }

  /** Records an exit: exactly once per process, however many ways we learn of it. */
  private finish(tracked: Tracked, code: number | null, signal: string | null): void {
    const { serverId, ports } = tracked.instance;
    if (this.servers.get(serverId) !== tracked) return;
    this.servers.delete(serverId);
    if (tracked.killTimer) this.deps.clock.clearTimeout(tracked.killTimer);
    tracked.killTimer = undefined;
    this.deps.ports.release(ports);
    this.emit({ serverId, code, signal, requested: tracked.requested });
    for (const waiter of tracked.waiters.splice(0)) waiter.resolve();
  }

  private emit(exit: RuntimeExit): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(exit);
      } catch (e) {
        // One failing listener must neither hide the exit from the others nor crash the
        // control plane from inside a child-process event.
        process.emitWarning(`onExit listener failed for ${exit.serverId}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private schedulePoll(): void {
    if (this.pollTimer || this.closed) return;
    if (![...this.servers.values()].some((t) => !t.child)) return;
    this.pollTimer = this.deps.clock.setTimeout(() => {
      this.pollTimer = undefined;
      this.pollAdopted();
      this.schedulePoll();
    }, this.options.adoptPollMs);
  }

  private pollAdopted(): void {
    for (const tracked of [...this.servers.values()]) {
      if (tracked.child) continue;
      const { pid, identity } = tracked.instance;
      // Exit code and signal of a process we are not the parent of are unknowable.
      if (processIdentity(pid, this.deps.bootId) !== identity) this.finish(tracked, null, null);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new HandoffError('SHUTTING_DOWN', 'The runtime is closed');
  }
}

function startFailed(serverId: string, cause: string): HandoffError {
  return new HandoffError('SERVER_START_FAILED', `Could not start ${serverId}: ${cause}`, { serverId, cause });
}
