/**
 * What a rolling release remembers between passes (`Rollout.progressState`, stored as JSON).
 * Most of it is figures for `rollout status`; the planner itself needs only the batch, the
 * budget, the role targets, and a few timestamps, and re-derives the rest from what it observes.
 */
import type { Rollout } from '../../model.js';
import type { Budget } from './spec.js';

export interface RollingProgress extends Budget {
  /** The batch under way, from 1. */
  batch: number;
  /** Old servers that have left the fleet, out of the release's size (`targetServers`). */
  replaced: number;
  /** New-build servers taking new sessions. */
  inRotation: number;
  /** Old-build servers still taking new sessions. */
  oldInRotation: number;
  /** Old-build servers out of rotation, still hosting sessions. */
  outOfRotation: number;
  /** Role targets the fleet planner reads: servers of each build to keep up (see `roles`). */
  oldTarget: number;
  newTarget: number;
  /** With a smoke check: new servers admitted to rotation (those of verified batches). */
  admitted: number;
  /** The last batch whose smoke check passed. */
  verifiedBatch: number;
  /** With an analysis: the last batch it judged (or a person let pass); the batch under judgement, if any. */
  analysedBatch?: number;
  analysingBatch?: number | null;
  /** Servers the smoke check already ran against (a later batch checks another one). */
  smoked: string[];
  /** The new build's weight last written to the routing table; null before the first. */
  weight: number | null;
  /** Since when new servers were asked for and are not all Ready; null when none is awaited. */
  waitingSince: number | null;
  /** `startFailures` when the release last (re)started counting: a resume forgives earlier ones. */
  failureBase: number;
  /** Old servers this release took out of rotation, and when (for the optional drain deadline). */
  drainedAt: Record<string, number>;
  /** Old servers already sent the drain notice, and those whose sessions were migrated. */
  noticed: string[];
  migrated: string[];
}

export function initialProgress(budget: Budget, runningOld: number): RollingProgress {
  return {
    ...budget, batch: 1, replaced: 0, inRotation: 0, oldInRotation: runningOld, outOfRotation: 0,
    oldTarget: runningOld, newTarget: 0, admitted: 0, verifiedBatch: 0, analysedBatch: 0, analysingBatch: null, smoked: [], weight: null,
    waitingSince: null, failureBase: 0, drainedAt: {}, noticed: [], migrated: [],
  };
}

/** The stored progress of a rolling release (written only by its own planner and `init`). */
export function progressOf(r: Pick<Rollout, 'progressState'>): RollingProgress {
  return r.progressState as unknown as RollingProgress;
}

export function asState(p: RollingProgress): Record<string, unknown> {
  return p as unknown as Record<string, unknown>;
}
