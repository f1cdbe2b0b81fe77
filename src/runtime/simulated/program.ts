/**
 * What a simulated "process" runs. A program is the simulated twin of an executable: the host
 * instantiates one per spawned server and hands it a `SimProcess`, its view of the machine.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { SeededRandom } from '../../core/random.js';
import type { SdkLink } from './sdk-link.js';

/** How a simulated process ended. */
export interface SimExit {
  code: number | null;
  signal: 'SIGKILL' | null;
  /**
   * True when a runtime had signalled the process (SIGTERM or SIGKILL) before it ended: a stop
   * the control plane asked for. False for a crash or a kill from outside.
   */
  stopped: boolean;
}

/** A program's view of its process: arguments, environment, time, randomness and its exit. */
export interface SimProcess {
  readonly serverId: string;
  readonly pid: number;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly address: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly clock: Clock;
  /** This process's own random stream (forked from the host's seed by pid). */
  readonly random: SeededRandom;
  /** The way to the control plane's SDK endpoint. */
  readonly sdk: SdkLink;
  readonly alive: boolean;
  /** Appends a line to the process's log. */
  log(line: string, stream?: 'stdout' | 'stderr'): void;
  /** The process ends by itself with this status. */
  exit(code: number): void;
  /** Like `clock.setTimeout`, but dropped when the process ends: a dead process runs nothing. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface ProgramInstance {
  /** Runs right after the spawn (the program "boots" from here, on its own timers). */
  start(): void;
  /**
   * Instead of `start`, for a process placed on the host already running (`SimulatedHost.place`):
   * take up where a booted one would be (a game server: Ready, pinging health, its watch
   * connecting). A program without it cannot be placed.
   */
  resume?(): void;
  /** SIGTERM arrived: exit soon, or ignore it (a stubborn server). */
  terminate(): void;
  /** The process has ended, whatever the cause; its timers are already cleared. */
  exited?(exit: SimExit): void;
}

/**
 * A simulated executable: builds the program for one spawned process. `validate` checks a
 * build's arguments at registration (throws a RangeError naming the bad one).
 */
export type Program = ((process: SimProcess) => ProgramInstance) & { validate?(args: readonly string[]): void };
