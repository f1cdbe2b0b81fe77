/**
 * Environments and their blue/green slots (the "relabel, snapshot, clone, stage" cycle).
 *
 * The model: an environment (production, staging, …) owns one or more fleets that run the same
 * build — one game service, e.g. one fleet per region. It has two slots, blue and green. A slot
 * is a *profile* (the hosting pipelines' "mirror profile"): a build and the launch settings the
 * environment gives it (how many warm servers to keep started while it waits). The live slot's
 * build is what the fleets serve; the idle slot takes the next build. A game of several services
 * has one environment per service, released together by a release plan.
 *
 * The slots are bookkeeping above the fleets, not a second copy of them: servers, routing and
 * releases stay the fleet's and the rollout's. Only a staged idle slot reaches into a fleet, as
 * warm servers (a `preview` role: started, Ready, outside the routing table).
 */
import type { RoutingTable } from '../allocation/routing.js';
import type { CapacityPolicy } from '../fleet/model.js';

export const SlotNames = ['blue', 'green'] as const;
export type SlotName = (typeof SlotNames)[number];

export function otherSlot(s: SlotName): SlotName {
  return s === 'blue' ? 'green' : 'blue';
}

/** One slot's profile: a build and how the environment launches it. */
export interface SlotProfile {
  build: string;
  /**
   * Servers of `build` kept started (Ready, taking no sessions) in each of the environment's
   * fleets while this slot is idle and staged, so the next switch starts no process.
   */
  warmServers: number;
  /** When `build` was staged into this idle slot; null when live, cloned, or never staged. */
  stagedAt: number | null;
  /** When the slot was last bound to a build. */
  boundAt: number;
}

export const EnvActions = ['created', 'updated', 'bind', 'relabel', 'snapshot', 'clone', 'stage', 'queued', 'restore', 'restored'] as const;
export type EnvAction = (typeof EnvActions)[number];

/** One line of an environment's history of slots and builds. */
export interface EnvHistoryEntry {
  at: number;
  action: EnvAction;
  slot: SlotName;
  build: string;
  /** Snapshot number, for `snapshot`, `restore` and `restored`. */
  snapshot?: number;
  detail: string;
}

/** The build to stage after the release in flight completes (a stage asked for while one runs). */
export interface QueuedStage {
  build: string;
  warmServers: number;
}

export interface Environment {
  name: string;
  /** The fleets this environment owns (each fleet belongs to at most one environment). */
  fleets: string[];
  live: SlotName;
  slots: Record<SlotName, SlotProfile>;
  /** The newest snapshot's number; 0 before the first. */
  lastSnapshot: number;
  /** A restore in progress: session-aware releases back to `build` run in the fleets. */
  restoring: { snapshot: number; build: string; startedAt: number } | null;
  next: QueuedStage | null;
  /** Newest last, at most `HISTORY_LIMIT` entries (older history stays in the event log). */
  history: EnvHistoryEntry[];
  createdAt: number;
  updatedAt: number;
}

export const HISTORY_LIMIT = 200;

/** An environment as declared (`kind: Environment`). */
export interface EnvironmentSpec {
  name: string;
  fleets: string[];
  /** Which slot serves at creation (blue unless given). */
  live: SlotName;
  /** Builds and launch settings per slot; the live slot's build defaults to what the fleets run. */
  slots: Partial<Record<SlotName, { build?: string | undefined; warmServers: number }>>;
}

/** One fleet's configuration as a snapshot keeps it. */
export interface FleetConfig {
  name: string;
  currentBuild: string;
  routing: RoutingTable;
  capacity: CapacityPolicy;
}

/** A numbered, restorable record of an environment's configuration. */
export interface EnvSnapshot {
  environment: string;
  /** 1, 2, 3, … per environment. */
  number: number;
  takenAt: number;
  /** Why: `release completed`, `manual`, `restored from #2`. */
  reason: string;
  live: SlotName;
  slots: Record<SlotName, SlotProfile>;
  fleets: FleetConfig[];
  /** Every build the configuration names (slots and routing). */
  builds: string[];
}

/** What the cycle sees of one fleet. */
export interface FleetObservation extends FleetConfig {
  /** A release is in flight on the fleet. */
  releasing: boolean;
}

/** The live slot's profile. */
export function liveSlot(env: Environment): SlotProfile {
  return env.slots[env.live];
}

/** The idle slot's profile. */
export function idleSlot(env: Environment): SlotProfile {
  return env.slots[otherSlot(env.live)];
}
