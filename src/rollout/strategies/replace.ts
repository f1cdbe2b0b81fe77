/**
 * Pieces shared by the strategies that replace servers in place rather than beside them (rolling,
 * an in-place canary): how a pass sees the old and new build's servers, which old servers leave
 * rotation first, and how much room a fleet has left under a cap. Pure: no I/O, no clock.
 */
import type { ServerState } from '../../fleet/model.js';
import type { RolloutServer } from '../strategy.js';

/** Counted against a build's servers: starting, or taking sessions. */
export const UP: ReadonlySet<ServerState> = new Set(['Starting', 'Ready', 'Active']);
/** Taking new sessions (in rotation). */
export const READY: ReadonlySet<ServerState> = new Set(['Ready', 'Active']);

/** The fleet as one pass sees it, from the release's old build to its new one. */
export interface Replacement {
  /** Every old-build server still there, in or out of rotation. */
  old: readonly RolloutServer[];
  /** Old servers up and not out of rotation (Starting, Ready, Active). */
  oldUp: readonly RolloutServer[];
  /** Old servers taking new sessions. */
  oldReady: readonly RolloutServer[];
  newUp: number;
  newReady: readonly RolloutServer[];
  /** Every server of the fleet, of any build and state: what the fleet's size is measured by. */
  present: number;
}

export function observeReplacement(servers: readonly RolloutServer[], fromBuild: string, toBuild: string): Replacement {
  const old = servers.filter((s) => s.build === fromBuild);
  const fresh = servers.filter((s) => s.build === toBuild);
  return {
    old,
    oldUp: old.filter((s) => UP.has(s.state)),
    oldReady: old.filter((s) => READY.has(s.state)),
    newUp: fresh.filter((s) => UP.has(s.state)).length,
    newReady: fresh.filter((s) => READY.has(s.state)),
    present: servers.length,
  };
}

/** The `n` servers to take out of rotation: the emptiest first, so they leave the fleet soonest (ties by id). */
export function emptiestFirst(servers: readonly RolloutServer[], n: number): RolloutServer[] {
  return [...servers].sort((a, b) => a.used - b.used || a.id.localeCompare(b.id)).slice(0, Math.max(0, n));
}

/**
 * Servers of the new build the fleet may have up without going above `cap` servers in all: its
 * own up servers plus whatever every other server (any build, any state, stopping ones too)
 * leaves free. Never negative.
 */
export function roomUnder(cap: number, seen: Pick<Replacement, 'present' | 'newUp'>): number {
  return Math.max(0, cap - (seen.present - seen.newUp));
}
