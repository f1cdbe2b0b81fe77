/**
 * Releases. A rollout moves a fleet from one build to another under a strategy. Each strategy
 * is a plug-in under `strategies/` (its options, its pure planner, the roles it gives builds,
 * the commands it accepts; see `strategy.ts`); the spec is a discriminated union of theirs.
 */
import type { RoutingTable } from '../allocation/routing.js';
import type { AnalysisResult, Verdict } from '../analysis/judge/model.js';
import type { BackgroundState, CommonRolloutSpec } from './background-model.js';
import type { SmokeResult } from './checks.js';
import type { AbTestSpec } from './strategies/ab-test/spec.js';
import type { BlueGreenSpec } from './strategies/blue-green/spec.js';
import type { MaintenanceSpec } from './strategies/maintenance/spec.js';
import type { RollingSpec } from './strategies/rolling/spec.js';
import type { DynamicPoolSpec } from './strategies/dynamic-pool/spec.js';
import type { CanarySpec } from './strategies/canary/spec.js';

export const RolloutPhases = [
  'Scheduled', // waiting for a time set in advance (a maintenance window); nothing has changed yet
  'Provisioning', // starting servers of the new build
  'Verifying', // running the smoke check against one new server
  'AwaitingPromotion', // ready and verified; waiting for `promote` (autoPromote off)
  'Progressing', // moving step by step (batches, weights), each under the strategy's own rules
  'Paused', // waiting for a person (`promote`), a timer, or a failed step's cause to be fixed
  'Draining', // switched: new sessions go to the new build, the old build empties
  'Completed',
  'Aborted',
  'Failed',
  'Superseded', // a newer release took over; this one's builds drain side by side with it
] as const;
export type RolloutPhase = (typeof RolloutPhases)[number];

export const TerminalRolloutPhases: readonly RolloutPhase[] = ['Completed', 'Aborted', 'Failed', 'Superseded'];

/** One strategy's options, plus those every release takes (a background analysis). */
export type RolloutSpec = (BlueGreenSpec | MaintenanceSpec | RollingSpec | DynamicPoolSpec | CanarySpec | AbTestSpec) & CommonRolloutSpec;
export type RolloutStrategy = RolloutSpec['strategy'];

/** A request to start a release, as the rollout domain takes it. */
export interface RolloutStart {
  fleet: string;
  build: string;
  /** Replace a release that has not yet routed any session, instead of being refused. */
  replace: boolean;
  spec: RolloutSpec;
}

/** One verdict of a release analysis, kept on the rollout (and so in the store) with its numbers. */
export interface AnalysisRecord {
  /** Where in the release it ran, e.g. `step 2/4`, `background #3`. */
  step: string;
  /** A gate of the strategy's (`step`, the default on older records) or the repeating background analysis. */
  kind?: 'step' | 'background';
  verdict: Verdict;
  /** Per metric: the canary's and the baseline's figures, the test, and why. */
  result: AnalysisResult;
  /** The window the samples came from (ms): the canary and the baseline over the same one. */
  window: { since: number; until: number };
  canary: string;
  baseline: string;
  at: number;
}

export interface Rollout {
  id: string;
  fleet: string;
  fromBuild: string;
  toBuild: string;
  spec: RolloutSpec;
  phase: RolloutPhase;
  /** Human-readable account of the current phase, e.g. why it failed. */
  message: string;
  /** Servers of the new build to have Ready before the switch. */
  targetServers: number;
  /** New-build servers that crashed or failed to become Ready. */
  startFailures: number;
  /** The most recent start failure of a new-build server (exit code, log file), for operators. */
  lastFailure: string | null;
  smoke: SmokeResult | null;
  /** Every analysis verdict of the release, oldest first (absent on records before analyses). */
  analyses?: AnalysisRecord[];
  /** The background analysis's schedule and hold (see `background.ts`); absent without one. */
  background?: BackgroundState;
  /** Strategy-owned progress (batch, step, variant figures); JSON, read only by its strategy. */
  progressState?: Record<string, unknown>;
  /** The routing table before this release: what `abort` restores (absent on 0.1.0 records). */
  previousRouting?: RoutingTable;
  /** The release that superseded this one, if any. */
  supersededBy?: string | null;
  /** Builds of superseded releases still draining beside this one, with the idle time each retires on. */
  drainingBuilds?: Record<string, number>;
  createdAt: number;
  updatedAt: number;
  /** All target servers Ready. */
  readyAt: number | null;
  promotedAt: number | null;
  switchedAt: number | null;
  drainNoticeAt: number | null;
  /** The migration deadline announced with the notice at `drainNoticeAt` (absent on records before gentle migration). */
  migrationDeadline?: number | null;
  migratedAt: number | null;
  completedAt: number | null;
  abortedAt: number | null;
  failedAt: number | null;
}

export function isTerminalPhase(phase: RolloutPhase): boolean {
  return TerminalRolloutPhases.includes(phase);
}
