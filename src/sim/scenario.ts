/**
 * A simulation scenario as data: the fleet and its builds, how game servers behave, who plays,
 * and a list of steps (start a release, abort it, promote it, restart the control plane, kill
 * servers) each fired by a trigger (a time, a phase of the latest release, a seeded random
 * moment). Strategies enter only through the release request, so a new strategy is a new row of
 * data, not new harness code.
 */
import type { RolloutPhase } from '../rollout/model.js';
import type { PromoteInput } from '../rollout/strategy.js';
import type { GameServerBehaviour } from '../runtime/simulated/behaviour.js';
import type { Workload } from './players.js';

export type Trigger =
  /** At this time after the scenario's start. */
  | { atMs: number }
  /** Once the latest release is in this phase, plus `afterMs`. */
  | { phase: RolloutPhase; afterMs?: number }
  /** At a seeded random moment this long after the previous step. */
  | { randomMs: [number, number] };

export type Action =
  /** `request` is the body of `POST /v1/rollouts` without `fleet` and `build`: the strategy and its options. */
  | { do: 'release'; build: string; request: Record<string, unknown> }
  | { do: 'abort' }
  | { do: 'promote'; input?: PromoteInput }
  /** Close the control plane, keep it down this long (players keep playing), start it on the same store. */
  | { do: 'restart'; downtimeMs: number }
  /** Kill this many running game servers from outside (chaos: crashes the release must survive). */
  | { do: 'kill'; servers: number }
  /**
   * Sabotage, to prove the monitor can fail a run: the API closes a playing player's session
   * (`close-session`), or the runtime is told to stop a server that hosts players (`stop-busy`).
   */
  | { do: 'close-session' }
  | { do: 'stop-busy' };

export interface ScenarioStep {
  when: Trigger;
  action: Action;
  /** Builds that must host open sessions when the step runs: what makes the scenario the one it claims to be. */
  requires?: { hosting: string[] };
}

export interface FleetShape {
  minServers: number;
  maxServers: number;
  bufferServers: number;
  idleTimeoutSeconds: number;
  sessionsPerServer: number;
  partyPolicy: 'together' | 'follow-routing';
  health: { timeoutSeconds: number; startTimeoutSeconds: number; stopGraceSeconds: number };
}

export interface Scenario {
  name: string;
  seed: number;
  /** Build ids; the first is the fleet's build at the start. */
  builds: string[];
  /** `--sim-*` arguments of a build (e.g. a build that crashes on boot). */
  buildArgs?: Record<string, string[]>;
  fleet?: Partial<FleetShape>;
  behaviour?: Partial<GameServerBehaviour>;
  workload?: Partial<Workload>;
  steps: ScenarioStep[];
  /** An operator promotes the latest release once it has waited for a promote this long. */
  operator?: { promoteAfterMs: number; input?: PromoteInput };
  /** How long players keep arriving (from the start). */
  arrivalsForMs: number;
  /** The final phase of each release started, in order (a list: any of these). */
  expectPhases: (RolloutPhase | RolloutPhase[])[];
  /** Give up (and fail) if the fleet has not settled by then. Default arrivals + 30 min. */
  maxMs?: number;
  /** Fake-clock step. Default 500 ms. */
  stepMs?: number;
}

export const DEFAULT_FLEET: FleetShape = {
  minServers: 3,
  maxServers: 16,
  bufferServers: 1,
  idleTimeoutSeconds: 60,
  sessionsPerServer: 8,
  partyPolicy: 'together',
  health: { timeoutSeconds: 10, startTimeoutSeconds: 60, stopGraceSeconds: 5 },
};

/**
 * Game servers of a realistic, slightly unreliable kind: boots of one to four seconds, a crash
 * per server every couple of hours, one in five ignoring SIGTERM, short health stalls.
 */
export const UNRELIABLE_SERVERS: Partial<GameServerBehaviour> = {
  startLatencyMs: { min: 1_000, max: 4_000 },
  crashesPerHour: 0.5,
  exitCodes: [1, 134, 139],
  ignoreSigterm: 0.2,
  stallsPerHour: 2,
  stallMs: 3_000,
};
