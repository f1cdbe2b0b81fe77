/**
 * The light simulator's inputs and outputs as data: a case (fleet, workload, server behaviour,
 * the release row and what interferes with it) and the tally a run adds to.
 */
import type { FleetAction, FleetObservation } from '../../fleet/plan-fleet.js';
import type { Rollout, RolloutPhase } from '../../rollout/model.js';
import type { Strategy } from '../../rollout/strategy.js';
import type { StrategyRow } from '../matrix.js';

export interface NinesFleet {
  minServers: number;
  maxServers: number;
  bufferServers: number;
  idleTimeoutSeconds: number;
  sessionsPerServer: number;
  health: { timeoutSeconds: number; startTimeoutSeconds: number };
}

export interface NinesWorkload {
  /** Players arriving per second (a Poisson process, drawn per tick). */
  arrivalsPerSecond: number;
  /** Play time is log-normal with this median (s) and shape, cut at `maxSessionSeconds`. */
  sessionMedianSeconds: number;
  sessionSigma: number;
  maxSessionSeconds: number;
}

export interface NinesBehaviour {
  bootMs: [number, number];
  /** Probability that a server of a release's build exits during boot (a build that crashes on boot: 1). */
  crashAtStart: number;
  /** Crashes per server-hour once booted (Poisson). */
  crashesPerHour: number;
  /** SIGTERM → exit. */
  drainMs: number;
  /** Ready → its SDK watch connected (a notice sent meanwhile is lost unless it stands). */
  watchLagMs: [number, number];
  /** Control plane back → each server's watch reconnected and its roster reported. */
  reconnectMs: [number, number];
  /** A smoke check or webhook answers after this long… */
  checkMs: number;
  /** …and fails (a release whose check fails). */
  checkFails: boolean;
}

/** What interferes with each release of a case (the matrix's kinds, see `matrix.ts`). */
export type Variant =
  | { kind: 'release' }
  | { kind: 'abort'; phase: RolloutPhase }
  | { kind: 'restart'; phase: RolloutPhase }
  | { kind: 'random-abort' }
  | { kind: 'back-to-back' };

export interface NinesCase {
  name: string;
  seed: number;
  row: StrategyRow;
  variant: Variant;
  fleet: NinesFleet;
  workload: NinesWorkload;
  behaviour: NinesBehaviour;
  /** The reconcile interval (the control plane's default is 500 ms). */
  tickMs: number;
  /** Releases one after another (v1, v2, …), each under `variant`. */
  releases: number;
  /** Before the first release: the fleet fills up. */
  warmupMs: number;
  /** Between a release settling and the next. */
  gapMs: number;
  /** How long a restart keeps the control plane down: [min, max] ms. */
  downtimeMs: [number, number];
  /** Players stop arriving after this long (default: never; the run ends after its releases). */
  arrivalsForMs?: number;
}

/** The decision functions a run calls: the real ones unless a test wraps them (mutation tests). */
export interface Planners {
  fleet: (obs: FleetObservation) => FleetAction[];
  /** The release's strategy (its planner and its standing notices). */
  release: (r: Rollout) => Strategy;
}

export interface Tally {
  runs: number;
  releases: number;
  /** New sessions placed by the real allocator (migrated players placed again are counted in `replaced`). */
  sessions: number;
  /** Sessions cut off without notice: on a server stopped under them, or closed with no notice heard first. Must be 0. */
  interruptions: number;
  /** Stops of a server the control plane counted open sessions on (`stopped-with-open-session`). Must be 0. */
  unsafeStops: number;
  lostToCrash: number;
  migratedWithNotice: number;
  closedForMaintenance: number;
  replaced: number;
  /** Arrivals with nowhere to go (no capacity, a closed fleet, the control plane down). */
  refused: number;
  restarts: number;
  aborts: number;
  /** Servers that booted and became Ready, and the most up at once (the cross-check's figures). */
  serversReady: number;
  peakServers: number;
  crashes: number;
  /** Releases by how they ended. */
  outcomes: Record<string, number>;
  /** Releases that ended otherwise than the case expected, stuck ones, triggers whose phase never came. */
  unexpected: number;
  simulatedMs: number;
  examples: string[];
}

export function emptyTally(): Tally {
  return {
    runs: 0, releases: 0, sessions: 0, interruptions: 0, unsafeStops: 0, lostToCrash: 0, migratedWithNotice: 0, closedForMaintenance: 0,
    replaced: 0, refused: 0, restarts: 0, aborts: 0, serversReady: 0, peakServers: 0, crashes: 0, outcomes: {}, unexpected: 0, simulatedMs: 0, examples: [],
  };
}

export function addTally(into: Tally, t: Tally): void {
  for (const k of Object.keys(into) as (keyof Tally)[]) {
    const v = t[k];
    if (k === 'peakServers') into.peakServers = Math.max(into.peakServers, t.peakServers);
    else if (typeof v === 'number') (into[k] as number) += v;
  }
  for (const [k, v] of Object.entries(t.outcomes)) into.outcomes[k] = (into.outcomes[k] ?? 0) + v;
  for (const e of t.examples) if (into.examples.length < 10) into.examples.push(e);
}
