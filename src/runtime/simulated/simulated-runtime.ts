/**
 * The simulated adapter of the RuntimeProvider port: what the local runtime does with child
 * processes, done with programs on a `SimulatedHost`, on an injected clock. It passes the same
 * contract suite. Like the local runtime it is a control plane's *view* of the machine: closing
 * it leaves the servers running, and a new one (a restarted control plane) adopts them.
 *
 * Its game servers reach the control plane through the host's `SdkLink`, in-process, instead of
 * HTTP: `connectSdk` is how the wiring plugs the control plane's SDK backend in.
 */
import type { Build } from '../../builds/model.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { HandoffError } from '../../core/errors.js';
import type { SdkBackend } from '../../sdk/backend.js';
import { PortAllocator, type PortRange } from '../local/ports.js';
import { serverEnv } from '../local/spawn.js';
import type { AdoptResult, RuntimeExit, RuntimeInstance, RuntimeProvider, ServerLaunch } from '../port.js';
import type { HostExit, SimulatedHost } from './host.js';

export interface SimulatedRuntimeOptions {
  host: SimulatedHost;
  /** Ports handed to servers, as the local runtime's range. Default 7400-7999. */
  portRange?: PortRange;
  /** The address players are sent to. Default 127.0.0.1. */
  address?: string;
  /** Default: the host's clock. */
  clock?: Clock;
}

interface Tracked {
  readonly instance: RuntimeInstance;
  requested: boolean;
  killTimer: TimerHandle | undefined;
  readonly waiters: { resolve: () => void; reject: (e: Error) => void }[];
}

/** Variables of the control plane's environment a simulated server "inherits": none that matter. */
const INHERITED: NodeJS.ProcessEnv = {};

export class SimulatedRuntime implements RuntimeProvider {
  readonly kind = 'simulated';
  readonly host: SimulatedHost;
  private readonly clock: Clock;
  private readonly address: string;
  private readonly ports: PortAllocator;
  private readonly servers = new Map<string, Tracked>();
  private readonly starting = new Set<string>();
  private readonly listeners: ((exit: RuntimeExit) => void)[] = [];
  private readonly unwatch: () => void;
  private closed = false;

  static create(opts: SimulatedRuntimeOptions): SimulatedRuntime {
    return new SimulatedRuntime(opts);
  }

  constructor(opts: SimulatedRuntimeOptions) {
    this.host = opts.host;
    this.clock = opts.clock ?? opts.host.clock;
    this.address = opts.address ?? '127.0.0.1';
    const range = opts.portRange ?? { from: 7400, to: 7999 };
    if (!Number.isInteger(range.from) || !Number.isInteger(range.to) || range.from < 1 || range.to > 65535 || range.from > range.to) {
      throw new RangeError(`portRange must be integers with 1 <= from <= to <= 65535, got ${range.from}-${range.to}`);
    }
    // A port another view of the host (another control plane's runtime) handed out is taken.
    this.ports = new PortAllocator(range, async (port) => !this.host.portInUse(port));
    this.unwatch = this.host.onExit((exit) => this.onHostExit(exit));
  }

  /**
   * Plugs a control plane's SDK backend into the host's network; returns the unplug, which the
   * control plane calls when it shuts down (its servers then see a refused connection).
   */
  connectSdk(backend: SdkBackend): () => void {
    return this.host.sdk.connect(backend);
  }

  /** Refuses, at registration, a build no program of the host runs, or whose arguments its program refuses. */
  validateLaunch(build: Build): void {
    const program = this.host.resolve(build.launch.executable);
    if (!program) {
      throw new HandoffError('BUILD_EXECUTABLE_NOT_FOUND', `the simulated host runs no program named ${build.launch.executable}`, {
        build: build.id, executable: build.launch.executable,
      });
    }
    try {
      program.validate?.(build.launch.args);
    } catch (e) {
      throw new HandoffError('VALIDATION_FAILED', `build ${build.id}: ${e instanceof Error ? e.message : String(e)}`, { build: build.id });
    }
  }

  async start(launch: ServerLaunch): Promise<RuntimeInstance> {
    this.assertOpen();
    const { serverId, build } = launch;
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(serverId)) throw startFailed(serverId, 'the server id is not a safe file name');
    if (this.servers.has(serverId) || this.starting.has(serverId)) throw startFailed(serverId, 'a server with this id is already running');
    if (!this.host.resolve(build.launch.executable)) throw startFailed(serverId, `executable '${build.launch.executable}' not found`);
    this.starting.add(serverId);
    let ports: Record<string, number>;
    try {
      ports = await this.ports.allocate(build.ports);
    } finally {
      this.starting.delete(serverId);
    }
    const env = serverEnv(INHERITED, launch, this.address, ports);
    const spawned = this.host.spawn({ serverId, executable: build.launch.executable, args: build.launch.args, env, address: this.address, ports });
    const instance: RuntimeInstance = { serverId, pid: spawned.pid, identity: spawned.identity, address: this.address, ports, logPath: simulatedLogPath(serverId) };
    // Closed meanwhile: the caller still records the instance and the next control plane adopts it.
    if (!this.closed) this.servers.set(serverId, { instance, requested: false, killTimer: undefined, waiters: [] });
    spawned.run();
    return instance;
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
        tracked.killTimer = this.clock.setTimeout(() => {
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
        : this.host.runs(instance.serverId, instance.pid, instance.identity);
      if (!ours) {
        result.gone.push(instance.serverId);
        continue;
      }
      if (!known) {
        const copy = { ...instance, ports: { ...instance.ports } };
        this.servers.set(instance.serverId, { instance: copy, requested: false, killTimer: undefined, waiters: [] });
        this.ports.reserve(copy.ports);
      }
      result.adopted.push(instance.serverId);
    }
    return result;
  }

  async find(serverId: string): Promise<RuntimeInstance | undefined> {
    this.assertOpen();
    const tracked = this.servers.get(serverId);
    if (tracked) return tracked.instance;
    const found = this.host.findServer(serverId);
    if (!found) return undefined;
    return { serverId, pid: found.pid, identity: found.identity, address: found.request.address, ports: { ...found.request.ports }, logPath: simulatedLogPath(serverId) };
  }

  onExit(listener: (exit: RuntimeExit) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Stops watching and leaves every server running. A `stop` still waiting for its exit rejects
   * with SHUTTING_DOWN and its SIGKILL deadline is dropped, as in the local runtime.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unwatch();
    const closing = new HandoffError('SHUTTING_DOWN', 'The runtime was closed before the server exited');
    for (const tracked of this.servers.values()) {
      if (tracked.killTimer) this.clock.clearTimeout(tracked.killTimer);
      for (const waiter of tracked.waiters) waiter.reject(closing);
    }
    this.servers.clear();
    this.listeners.length = 0;
  }

  private signal(tracked: Tracked, signal: 'SIGTERM' | 'SIGKILL'): void {
    const { pid, identity } = tracked.instance;
    // As the local runtime: never signal a pid without proof it is still our server.
    if (this.host.identityOf(pid) !== identity) {
      this.finish(tracked, null, null);
      return;
    }
    this.host.signal(pid, signal);
  }

  private onHostExit(exit: HostExit): void {
    const tracked = this.servers.get(exit.serverId);
    if (tracked && tracked.instance.pid === exit.pid) this.finish(tracked, exit.code, exit.signal);
  }

  /** Records an exit: exactly once per process, however many ways we learn of it. */
  private finish(tracked: Tracked, code: number | null, signal: string | null): void {
    const { serverId, ports } = tracked.instance;
    if (this.servers.get(serverId) !== tracked) return;
    this.servers.delete(serverId);
    if (tracked.killTimer) this.clock.clearTimeout(tracked.killTimer);
    tracked.killTimer = undefined;
    this.ports.release(ports);
    const exit: RuntimeExit = { serverId, code, signal, requested: tracked.requested };
    for (const listener of [...this.listeners]) {
      try {
        listener(exit);
      } catch (e) {
        // One failing listener must neither hide the exit from the others nor break the host.
        process.emitWarning(`onExit listener failed for ${serverId}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    for (const waiter of tracked.waiters.splice(0)) waiter.resolve();
  }

  private assertOpen(): void {
    if (this.closed) throw new HandoffError('SHUTTING_DOWN', 'The runtime is closed');
  }
}

/** Where the host keeps a server's log: in memory, named like a file for messages (`SimulatedHost.logOf`). */
export function simulatedLogPath(serverId: string): string {
  return `simulated:${serverId}.log`;
}

function startFailed(serverId: string, cause: string): HandoffError {
  return new HandoffError('SERVER_START_FAILED', `Could not start ${serverId}: ${cause}`, { serverId, cause });
}
