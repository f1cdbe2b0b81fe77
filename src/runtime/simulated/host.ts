/**
 * The simulated machine: its processes, their pids and identities, ports, logs and signals. It
 * outlives every `SimulatedRuntime` (and control plane) that looks at it, exactly as an
 * operating system outlives the control plane, so a restarted control plane re-adopts its
 * servers. One host per simulation; nothing here is global.
 */
import { SystemClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { SeededRandom } from '../../core/random.js';
import type { Program, ProgramInstance, SimExit, SimProcess } from './program.js';
import { SdkLink } from './sdk-link.js';

export interface SimulatedHostOptions {
  clock?: Clock;
  /** Seeds every process's random stream. Default 1. */
  seed?: number;
  /** Executable name → program, as a file system would resolve it. */
  programs?: Readonly<Record<string, Program>>;
  /** What any other executable runs; null (default) makes an unknown executable fail to start. */
  defaultProgram?: Program | null;
  /** Lines of log kept per process (the oldest are dropped). Default 200. */
  logLines?: number;
  /** Ended processes whose log stays readable (the oldest are forgotten). Default 1000. */
  keepEnded?: number;
}

export interface SpawnRequest {
  serverId: string;
  executable: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  address: string;
  ports: Readonly<Record<string, number>>;
}

/** One exit as the host saw it; a runtime turns it into a `RuntimeExit`. */
export interface HostExit extends SimExit {
  pid: number;
  serverId: string;
}

/** A signal about to be delivered; `fromRuntime` false for a kill from outside. */
export type SignalListener = (signal: { pid: number; serverId: string; signal: 'SIGTERM' | 'SIGKILL'; fromRuntime: boolean }) => void;

interface Proc {
  readonly pid: number;
  readonly identity: string;
  readonly request: SpawnRequest;
  readonly log: string[];
  readonly timers: Set<TimerHandle>;
  program: ProgramInstance | null;
  signalled: boolean;
  alive: boolean;
}

export class SimulatedHost {
  readonly clock: Clock;
  readonly sdk: SdkLink;
  /** Identities embed it, as the local runtime's embed the boot id: a new host never matches an old record. */
  readonly bootId: string;
  private readonly random: SeededRandom;
  private readonly programs: Readonly<Record<string, Program>>;
  private readonly defaultProgram: Program | null;
  private readonly logLines: number;
  private readonly keepEnded: number;
  private readonly ended: number[] = [];
  private readonly procs = new Map<number, Proc>();
  private readonly byServer = new Map<string, number>();
  private readonly ports = new Set<number>();
  private readonly exitListeners = new Set<(exit: HostExit) => void>();
  private readonly signalListeners = new Set<SignalListener>();
  private nextPid = 1000;

  constructor(opts: SimulatedHostOptions = {}) {
    this.clock = opts.clock ?? new SystemClock();
    this.sdk = new SdkLink(this.clock);
    this.random = new SeededRandom(opts.seed ?? 1);
    this.bootId = `sim-${this.random.int(0, 0xffffff).toString(16)}`;
    this.programs = opts.programs ?? {};
    this.defaultProgram = opts.defaultProgram ?? null;
    this.logLines = opts.logLines ?? 200;
    this.keepEnded = opts.keepEnded ?? 1000;
  }

  /** The program an executable runs here, if any. */
  resolve(executable: string): Program | undefined {
    return Object.hasOwn(this.programs, executable) ? this.programs[executable] : (this.defaultProgram ?? undefined);
  }

  /**
   * Creates the process without running it yet, so the caller can watch for its exit before the
   * program's first instruction (which may be to exit). Throws when the executable is unknown.
   */
  spawn(request: SpawnRequest): { pid: number; identity: string; run: () => void } {
    const { program, proc } = this.create(request);
    const run = (): void => {
      if (!proc.alive || proc.program) return;
      proc.program = program(this.view(proc));
      proc.program.start();
    };
    return { pid: proc.pid, identity: proc.identity, run };
  }

  /**
   * A process that was already running, booted, when the simulation began: its program resumes
   * (`ProgramInstance.resume`) instead of starting, as a game server that has long been Ready
   * when a control plane comes up and finds it. How a large simulated fleet is set up in
   * seconds (the scale bench puts 100,000 servers here and writes their records in bulk) and
   * then re-adopted through a runtime's `adopt`, exactly as servers that outlived a restart.
   * Throws when the executable is unknown, its program cannot resume, or the server already runs.
   */
  place(request: SpawnRequest): { pid: number; identity: string; program: ProgramInstance } {
    if (this.findServer(request.serverId)) throw new Error(`server '${request.serverId}' is already running`);
    const { program, proc } = this.create(request);
    const instance = program(this.view(proc));
    if (!instance.resume) {
      this.procs.delete(proc.pid);
      this.byServer.delete(request.serverId);
      for (const port of Object.values(request.ports)) this.ports.delete(port);
      throw new Error(`executable '${request.executable}' cannot be placed already running: its program has no resume`);
    }
    proc.program = instance;
    instance.resume();
    return { pid: proc.pid, identity: proc.identity, program: instance };
  }

  private create(request: SpawnRequest): { program: Program; proc: Proc } {
    const program = this.resolve(request.executable);
    if (!program) throw new Error(`executable '${request.executable}' not found`);
    const pid = this.nextPid++;
    const proc: Proc = {
      pid, identity: `${this.bootId}:${pid}`, request, log: [], timers: new Set(), program: null, signalled: false, alive: true,
    };
    this.procs.set(pid, proc);
    this.byServer.set(request.serverId, pid);
    for (const port of Object.values(request.ports)) this.ports.add(port);
    return { program, proc };
  }

  isRunning(pid: number): boolean {
    return this.procs.get(pid)?.alive === true;
  }

  identityOf(pid: number): string | undefined {
    const p = this.procs.get(pid);
    return p?.alive ? p.identity : undefined;
  }

  /** Whether `pid` is the live process of `serverId` and still has `identity` (one lookup: re-adoption asks for every server). */
  runs(serverId: string, pid: number, identity: string): boolean {
    if (this.byServer.get(serverId) !== pid) return false;
    const p = this.procs.get(pid);
    return p?.alive === true && p.identity === identity;
  }

  /** The running process of a server, found by its id alone. */
  findServer(serverId: string): { pid: number; identity: string; request: SpawnRequest } | undefined {
    const pid = this.byServer.get(serverId);
    const p = pid === undefined ? undefined : this.procs.get(pid);
    return p?.alive ? { pid: p.pid, identity: p.identity, request: p.request } : undefined;
  }

  /** The program a running process runs: how tests and the simulation reach "its socket". */
  programOf(pid: number): ProgramInstance | undefined {
    const p = this.procs.get(pid);
    return p?.alive ? (p.program ?? undefined) : undefined;
  }

  portInUse(port: number): boolean {
    return this.ports.has(port);
  }

  logOf(pid: number): string {
    return (this.procs.get(pid)?.log ?? []).join('\n');
  }

  /**
   * Delivers a signal. `fromRuntime` marks the process as stopped on request (false: a kill from
   * outside, as an operator's `kill -9` or the OOM killer would). SIGKILL ends it at once.
   */
  signal(pid: number, signal: 'SIGTERM' | 'SIGKILL', fromRuntime = true): boolean {
    const p = this.procs.get(pid);
    if (!p?.alive) return false;
    if (fromRuntime) p.signalled = true;
    for (const listener of [...this.signalListeners]) listener({ pid, serverId: p.request.serverId, signal, fromRuntime });
    if (signal === 'SIGKILL') this.end(p, null, 'SIGKILL');
    else p.program?.terminate();
    return true;
  }

  onExit(listener: (exit: HostExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Observes every signal before it is delivered (the simulation checks what was still running). */
  onSignal(listener: SignalListener): () => void {
    this.signalListeners.add(listener);
    return () => this.signalListeners.delete(listener);
  }

  /** Running processes, oldest first. */
  running(): { pid: number; serverId: string; program: ProgramInstance | null }[] {
    return [...this.procs.values()].filter((p) => p.alive).map((p) => ({ pid: p.pid, serverId: p.request.serverId, program: p.program }));
  }

  private end(p: Proc, code: number | null, signal: 'SIGKILL' | null): void {
    if (!p.alive) return;
    p.alive = false;
    for (const t of p.timers) this.clock.clearTimeout(t);
    p.timers.clear();
    for (const port of Object.values(p.request.ports)) this.ports.delete(port);
    if (this.byServer.get(p.request.serverId) === p.pid) this.byServer.delete(p.request.serverId);
    const exit: HostExit = { pid: p.pid, serverId: p.request.serverId, code, signal, stopped: p.signalled };
    p.program?.exited?.(exit);
    for (const listener of [...this.exitListeners]) listener(exit);
    // Its log stays readable for a while, as a log file would; pids are never reused here.
    this.ended.push(p.pid);
    while (this.ended.length > this.keepEnded) this.procs.delete(this.ended.shift() as number);
  }

  private view(p: Proc): SimProcess {
    const random = this.random.fork(p.pid);
    return {
      serverId: p.request.serverId, pid: p.pid, args: p.request.args, env: p.request.env,
      address: p.request.address, ports: p.request.ports, clock: this.clock, random, sdk: this.sdk,
      get alive() {
        return p.alive;
      },
      log: (line, stream = 'stdout') => {
        if (!p.alive) return;
        p.log.push(stream === 'stderr' ? `[stderr] ${line}` : line);
        if (p.log.length > this.logLines) p.log.shift();
      },
      exit: (code) => this.end(p, code, null),
      setTimeout: (fn, ms) => {
        // Whole milliseconds, as a real clock reads: random delays must not make time fractional.
        const handle = this.clock.setTimeout(() => {
          p.timers.delete(handle);
          if (p.alive) fn();
        }, Math.round(ms));
        if (p.alive) p.timers.add(handle);
        else this.clock.clearTimeout(handle);
        return handle;
      },
      clearTimeout: (handle) => {
        p.timers.delete(handle);
        this.clock.clearTimeout(handle);
      },
    };
  }
}
