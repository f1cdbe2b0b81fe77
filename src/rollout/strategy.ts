/**
 * The strategy plug-in interface. A release strategy is its options (a schema with defaults),
 * a pure planner, the roles it gives builds (which the fleet planner turns into servers), and
 * the operator commands it accepts. Nothing else in the rollout service knows a strategy by
 * name: adding one is a folder under `strategies/` plus one line in `strategies/index.ts`.
 */
import type { z } from 'zod';
import type { RoutingTable } from '../allocation/routing.js';
import type { BuildRole } from '../fleet/plan-fleet.js';
import type { ServerState } from '../fleet/model.js';
import type { Notice } from '../sdk/protocol.js';
import type { CloseReason } from '../session/model.js';
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

export interface RolloutPlan {
  /** Fields of the rollout to change; empty when nothing changes. */
  patch: Partial<Rollout>;
  /** The fleet's new routing table, when it changes. */
  routing: RoutingTable | null;
  /** Run the smoke check against this server. */
  smokeOn: string | null;
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

/** What a strategy sees when a release starts. */
export interface StrategyStart {
  capacity: { minServers: number; maxServers: number };
  /** Up servers of the build the fleet runs now. */
  runningOld: number;
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
  /** Checks the schema cannot express (weights that reach 100, a window in the future); throws a coded HandoffError. */
  validate(spec: S, now: number): void;
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
  /** `promote`: the rollout fields to change, or a ROLLOUT_INVALID_PHASE HandoffError. */
  promote(r: Rollout & { spec: S }, input: PromoteInput, now: number): Partial<Rollout>;
  /**
   * True once the release may have sent new sessions to its build. A later release then
   * supersedes it (its builds drain side by side); before that, a later release is refused
   * unless it asks to replace this one.
   */
  hasRouted(r: Rollout & { spec: S }): boolean;
}
