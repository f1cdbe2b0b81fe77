import type { Build } from '../builds/model.js';

/** What the control plane asks a runtime to launch. */
export interface ServerLaunch {
  serverId: string;
  fleet: string;
  build: Build;
  /**
   * Variables from the control plane (HANDOFF_SDK_URL, HANDOFF_SERVER_ID, HANDOFF_TOKEN, …).
   * The runtime adds HANDOFF_ADDRESS, HANDOFF_PORTS (JSON name→port) and HANDOFF_PORT_<NAME>.
   * The build's own env is applied first, so these win.
   */
  env: Record<string, string>;
}

/** A running game-server process as the runtime knows it. Persisted on the GameServer record. */
export interface RuntimeInstance {
  serverId: string;
  pid: number;
  /** Adapter-specific proof of identity (the local adapter: the process start time). */
  identity: string;
  address: string;
  ports: Record<string, number>;
  logPath: string;
}

export interface RuntimeExit {
  serverId: string;
  code: number | null;
  signal: string | null;
  /** True when the exit followed a `stop` request from the control plane. */
  requested: boolean;
}

export interface AdoptResult {
  /** Still running and verified ours: monitored again from now on. */
  adopted: string[];
  /** No longer running (or the PID now belongs to another process). */
  gone: string[];
}

/**
 * The RuntimeProvider port: runs game-server processes. Adapters: `local/` (child processes).
 * Processes outlive the control plane: a restart re-adopts them instead of orphaning or
 * killing them, because killing them would disconnect players.
 */
export interface RuntimeProvider {
  readonly kind: string;
  /** Spawns the server. Rejects with HandoffError PORT_RANGE_EXHAUSTED or SERVER_START_FAILED. */
  start(launch: ServerLaunch): Promise<RuntimeInstance>;
  /** SIGTERM, wait `graceMs`, then SIGKILL. Resolves once the process has exited. Idempotent. */
  stop(serverId: string, opts: { graceMs: number }): Promise<void>;
  /** After a control-plane restart: re-attach to processes started earlier. */
  adopt(instances: readonly RuntimeInstance[]): Promise<AdoptResult>;
  /**
   * Finds a running server this runtime started, by server id alone: for a record whose pid was
   * never saved because the control plane died between spawning and recording it. Pass the
   * result to `adopt`. Undefined when no such process runs.
   */
  find(serverId: string): Promise<RuntimeInstance | undefined>;
  /** Called once per process exit, whether requested, crashed or killed from outside. */
  onExit(listener: (exit: RuntimeExit) => void): void;
  /** Stops monitoring. Leaves processes running: they must survive a control-plane restart. */
  close(): Promise<void>;
}
