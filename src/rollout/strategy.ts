/**
 * The strategy plug-in interface. A release strategy is its options (a schema with defaults),
 * a pure planner, the roles it gives builds (which the fleet planner turns into servers), and
 * the operator commands it accepts. Nothing else in the rollout service knows a strategy by
 * name: adding one is a folder under `strategies/` plus one line in `strategies/index.ts`.
 */
import type { z } from 'zod';
import type { AnalysisSpec } from '../analysis/spec.js';
import type { RoutingTable } from '../allocation/routing.js';
import type { BuildRole } from '../fleet/plan-fleet.js';
import type { ServerState } from '../fleet/model.js';
import type { Notice } from '../sdk/protocol.js';
import type { CloseReason } from '../session/model.js';
import type { SmokeCheck, WebhookCheck } from './checks.js';
import type { Rollout, RolloutPhase, RolloutSpec } from './model.js';

export interface RolloutServer {
  id: string;
  build: string;
  state: ServerState;
  used: number;
  /** The migration deadline announced to this server (a `migrate` notice), if any. */
  migrationDeadline?: number | null;
}

export interface RolloutObservation<S extends RolloutSpec = RolloutSpec> {
  rollout: Rollout & { spec: S };
  /** Non-terminal servers of the fleet. */
  servers: readonly RolloutServer[];
  now: number;
}

/**
 * A check a release step waits on, run by the service (never the planner): a smoke check against
 * a server, or an HTTP webhook (2xx = pass) given `payload`. Its outcome is recorded in the
 * rollout's `smoke`, while the rollout stays `Verifying`, against `serverId`.
 */
export type AnalysisCheck =
  | { serverId: string; smoke: SmokeCheck }
  | { serverId: string; webhook: WebhookCheck; payload: Record<string, unknown> }
  | MetricsCheck;

/**
 * A metrics analysis: the canary's and the baseline's signals over `window`, judged once the
 * window has passed. `serverId` is '' (it is about builds); the rollout's `smoke.startedAt` is
 * `window.since`, so the service can tell a verdict for this step from a stale one.
 */
export interface MetricsCheck {
  serverId: string;
  analysis: AnalysisSpec;
  window: { since: number; until: number };
  canary: string;
  baseline: string;
  /** Where in the release it runs, e.g. `step 2/4`. */
  label: string;
  /** Passed to the analysis's webhook, if it has one. */
  payload: Record<string, unknown>;
}

/** Which builds' sessions `rollout status` reports figures for, and over which time window. */
export interface FigureWindow {
  variants: { name: string; build: string }[];
  /** Sessions opened from this time (ms)... */
  since: number;
  /** ...and before this one (null: until the release ends, or now). */
  until: number | null;
}

export interface RolloutPlan {
  /** Fields of the rollout to change; empty when nothing changes. */
  patch: Partial<Rollout>;
  /** The fleet's new routing table, when it changes. */
  routing: RoutingTable | null;
  /** Run the smoke check against this server. */
  smokeOn: string | null;
  /** Run this check (a step's smoke check or webhook) and record its outcome in `smoke`. */
  check?: AnalysisCheck | null;
  notices: { serverId: string; notice: Notice }[];
  /** Close every open session on these servers with reason `migrated`. */
  migrate: string[];
  /** Close every open session on these servers with this reason (announced beforehand, e.g. `maintenance`). */
  closeSessions?: { serverIds: string[]; reason: CloseReason };
  /**
   * Take these servers out of rotation: mark them `Draining` with the reason. They take no new
   * sessions, keep the ones they host, and the fleet planner stops each once it is empty.
   */
  drainServers?: { serverId: string; reason: string }[];
  /** With `migrate`: give each player closed there a migration token to this build (see `migration.ts`). */
  migrateTo?: { build: string; tokenTtlSeconds: number } | null;
  /** The build that becomes the fleet's current build (on completion). */
  completeFleetWith: string | null;
}

export function emptyPlan(): RolloutPlan {
  return { patch: {}, routing: null, smokeOn: null, notices: [], migrate: [], completeFleetWith: null };
}

/**
 * The routing before a release, with its build taking no new sessions: what an abort or a
 * failure restores. Releases stored before `previousRouting` existed fall back to the old build.
 */
export function restoredRouting(r: Pick<Rollout, 'fromBuild' | 'toBuild' | 'previousRouting'>): RoutingTable {
  const before = r.previousRouting?.entries.filter((e) => e.build !== r.toBuild) ?? [{ build: r.fromBuild, weight: 100 }];
  return { entries: [...before, { build: r.toBuild, weight: 0 }] };
}

/** A release that failed: new sessions go back where they went before it; its build's players finish. */
export function failedPlan(r: Pick<Rollout, 'fromBuild' | 'toBuild' | 'previousRouting'>, now: number, message: string): RolloutPlan {
  return { ...emptyPlan(), routing: restoredRouting(r), patch: { phase: 'Failed', failedAt: now, message } };
}

/**
 * Why a release still bringing up its build must give up, if it must: a crash-looping build
 * (too many failed starts) or one not Ready in time. Null while it may keep waiting.
 */
export function provisioningProblem(
  r: Pick<Rollout, 'toBuild' | 'startFailures' | 'lastFailure' | 'createdAt'> & { spec: { maxStartFailures: number; readyTimeoutSeconds: number } },
  now: number,
): string | null {
  if (r.startFailures >= r.spec.maxStartFailures) return `build ${r.toBuild} failed to start ${r.startFailures} times; last failure: ${r.lastFailure ?? 'unknown'}`;
  if (now - r.createdAt > r.spec.readyTimeoutSeconds * 1000) return `build ${r.toBuild} was not Ready within ${r.spec.readyTimeoutSeconds}s`;
  return null;
}

/** What a strategy sees when a release starts. */
export interface StrategyStart {
  capacity: { minServers: number; maxServers: number };
  /** Up servers of the build the fleet runs now. */
  runningOld: number;
  /** The build taking most new sessions now, which the release moves away from. */
  fromBuild: string;
}

/** An operator's `promote`, with the strategy-specific choice it may carry (an A/B variant). */
export interface PromoteInput {
  variant?: string | null;
}

export interface Strategy<S extends RolloutSpec = RolloutSpec> {
  readonly name: S['strategy'];
  /** One line for `--help` and the docs. */
  readonly summary: string;
  /** The strategy's own options, with defaults: the API's start request is built from these. */
  readonly options: z.ZodRawShape;
  /**
   * Checks the schema cannot express (weights that reach 100, a window in the future); throws a
   * coded HandoffError. `release` is the request's build (an A/B test's build is one of its variants).
   */
  validate(spec: S, now: number, release?: { build: string }): void;
  /** Builds the release uses besides its own `build` (A/B variants): each must exist to start. */
  builds?(spec: S): string[];
  /**
   * The check a `Verifying` release waits on, so the service can run it again after a restart.
   * Absent: the spec's `smoke` against `smoke.serverId`.
   */
  runningCheck?(r: Rollout & { spec: S }): AnalysisCheck | null;
  /** Builds whose session figures `rollout status` shows (in `progressState.figures`), or null. */
  figures?(r: Rollout & { spec: S }): FigureWindow | null;
  /** The release's first phase and figures. */
  init(spec: S, start: StrategyStart, now: number): Pick<Rollout, 'phase' | 'message' | 'targetServers'> & { progressState?: Record<string, unknown> };
  /** The pure planner: one step of the release from one observation. Never stops a server. */
  plan(o: RolloutObservation<S>): RolloutPlan;
  /** Roles this release gives builds, over those the routing table implies. */
  roles(r: Rollout & { spec: S }, fleetIdleSeconds: number): Map<string, BuildRole>;
  /** Phases in which `abort` applies. */
  readonly abortable: readonly RolloutPhase[];
  /**
   * What `abort` adds to the generic re-routing, if anything: notices (telling players an
   * announced maintenance is off) and the strategy's progress at the abort.
   */
  onAbort?(r: Rollout & { spec: S }, servers: readonly RolloutServer[], now: number): { notices: RolloutPlan['notices']; progressState?: Record<string, unknown> };
  /**
   * Notices this release keeps standing for a server (an announced maintenance): replayed to the
   * server's watch whenever it (re)connects, since a notice sent while it had no watch is lost.
   */
  standing?(r: Rollout & { spec: S }, server: { id: string; build: string }, now: number): Notice[];
  /** `promote`: the rollout fields to change, or a ROLLOUT_INVALID_PHASE HandoffError. */
  promote(r: Rollout & { spec: S }, input: PromoteInput, now: number): Partial<Rollout>;
  /**
   * True once the release may have sent new sessions to its build. A later release then
   * supersedes it (its builds drain side by side); before that, a later release is refused
   * unless it asks to replace this one.
   */
  hasRouted(r: Rollout & { spec: S }): boolean;
}
