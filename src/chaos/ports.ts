/**
 * What an experiment needs from the control plane, as the CLI reaches it over `/v1`. The
 * experiment never imports the CLI or HTTP: the command hands it an adapter of this port.
 */
import type { FaultSpec } from './model.js';

export interface ServerInfo {
  id: string;
  fleet: string;
  state: string;
  pid: number | null;
  sessions: number;
}

export interface ReplicaInfo {
  id: string;
  role: string;
}

export interface ClusterInfo {
  leader: { id: string } | null;
  items: ReplicaInfo[];
}

export interface LoggedEvent {
  seq: number;
  kind: string;
  subject: string;
  data: Record<string, unknown>;
}

export interface ChaosEventInput {
  kind: string;
  subject: string;
  fleet: string | null;
  message: string;
  data: Record<string, unknown>;
}

export interface ChaosApi {
  servers(fleet: string): Promise<ServerInfo[]>;
  cluster(): Promise<ClusterInfo>;
  /** Events after `seq` (oldest first, at most one page); `seq` 0 reads from the start. */
  events(afterSeq: number, fleet: string | null): Promise<LoggedEvent[]>;
  /** Appends a `chaos.*` event to the control plane's event log. */
  record(event: ChaosEventInput): Promise<void>;
}

/**
 * One kind of fault. `blastRadius` resolves (and describes) exactly what `inject` will touch, so
 * the report can say it before anything happens; `restore` undoes what `inject` did and is safe
 * to call after a partial or failed injection, and twice.
 */
export interface Fault {
  blastRadius(): Promise<string[]>;
  inject(): Promise<void>;
  restore(): Promise<void>;
}

export interface FaultDeps {
  api: ChaosApi;
  /** Sends a signal to a process on this host (process.kill). */
  kill(pid: number, signal: NodeJS.Signals): void;
}

export type FaultFactory<S extends FaultSpec = FaultSpec> = (spec: S, deps: FaultDeps) => Fault;
