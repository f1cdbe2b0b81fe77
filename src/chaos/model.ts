/**
 * Chaos experiments (docs/chaos.md): the seed's process — baseline → hypothesis → inject →
 * observe → restore → report — as data. A `kind: ChaosExperiment` manifest compiles (spec.ts)
 * into an `Experiment`: durations in ms, defaults filled, validated once, trusted inside.
 */

/** The steady state the experiment expects to survive the fault. Every check is optional. */
export interface Hypothesis {
  /** Successful allocations / allocations answered, 0..1 (e.g. 0.9999). */
  minAllocationSuccess: number | null;
  /** Sessions closed as `server_crashed`, `server_stopped` or `host_lost` (the control plane's own events: InterruptingReasons). */
  maxSessionsInterrupted: number | null;
  /** p99 of successful allocations' latency, from their scheduled send time. */
  maxP99LatencyMs: number | null;
  /** The sliding window the allocation checks look at while the fault is on. */
  windowMs: number;
  /** A window with fewer answered allocations than this says nothing (no verdict from noise). */
  minSamples: number;
}

/** The allocation load the experiment offers (open loop, the `handoff loadtest` generator). */
export interface LoadSpec {
  fleet: string;
  ratePerS: number;
  /** An allocation unanswered this long counts as failed (`TIMEOUT`). */
  timeoutMs: number;
}

export const FaultTypes = ['kill-servers', 'hang-servers', 'kill-replica', 'db-proxy', 'fill-disk'] as const;
export type FaultType = (typeof FaultTypes)[number];

/** How many of a fleet's game servers a fault touches: a count or a percentage (rounded up). */
export type ServerRadius = { fleet: string; count: number } | { fleet: string; percent: number };

export type FaultSpec =
  | { type: 'kill-servers'; radius: ServerRadius; signal: 'SIGKILL' | 'SIGTERM' }
  | { type: 'hang-servers'; radius: ServerRadius }
  /**
   * `target`: `leader`, `follower` (the first one by id) or a replica id. `/v1/cluster` names
   * replicas but not their processes (they may run on other hosts), so the experiment is given
   * the pid of each replica it may kill, on the host it runs on.
   */
  | { type: 'kill-replica'; target: string; pids: Readonly<Record<string, number>>; signal: 'SIGKILL' | 'SIGTERM' }
  /** Talks to a `handoff chaos proxy` control endpoint standing between the control plane and its database. */
  | { type: 'db-proxy'; control: string; latencyMs: number; drop: boolean }
  /** Fills the filesystem holding `path` (e.g. a size-limited tmpfs at a game server's data dir), leaving `leaveBytes`. */
  | { type: 'fill-disk'; path: string; leaveBytes: number };

export interface Experiment {
  name: string;
  description: string;
  hypothesis: Hypothesis;
  load: LoadSpec;
  fault: FaultSpec;
  /** Load offered but not judged before the baseline: connections open, caches fill. */
  warmupMs: number;
  /** Steady state measured before the fault. */
  baselineMs: number;
  /** How long the fault stays on unless the hypothesis breaks first. */
  durationMs: number;
  /** Steady state measured after restoration. */
  afterMs: number;
}

export const Phases = ['baseline', 'inject', 'observe', 'restore', 'after', 'done'] as const;
export type Phase = (typeof Phases)[number];

export const Checks = ['allocationSuccess', 'sessionsInterrupted', 'p99LatencyMs'] as const;
export type Check = (typeof Checks)[number];

/** One allocation's answer, by when it arrived (the runner's clock). */
export interface AllocationSample {
  at: number;
  ok: boolean;
  /** From the scheduled send time; null for a failure. */
  latencyMs: number | null;
  code: string | null;
}

/** A session the control plane closed involuntarily, by when the runner learnt of it. */
export interface Interruption {
  at: number;
  session: string;
  reason: string;
}

/** What a span of time measured, against the hypothesis. */
export interface Measurement {
  answered: number;
  ok: number;
  allocationSuccess: number | null;
  p99LatencyMs: number | null;
  sessionsInterrupted: number;
  errors: Record<string, number>;
}

export interface Breach {
  check: Check;
  observed: number;
  limit: number;
}

export type Judgement = { holds: true; measurement: Measurement } | { holds: false; measurement: Measurement; breaches: Breach[] };

/**
 * `held`: the steady state survived the fault. `broken`: it did not (the experiment cut the
 * fault short and restored). `aborted`: no fault was judged — the steady state did not hold
 * before injection, the injection failed, or the operator interrupted the run.
 */
export type Verdict =
  | { verdict: 'held' }
  | { verdict: 'broken'; phase: 'observe' | 'after'; breaches: Breach[] }
  | { verdict: 'aborted'; reason: string; breaches: Breach[] };
