/**
 * What an incremental reconcile pass must remember of a server it has just planned, so that
 * later passes can leave it out until something about it changes (src/reconcile/incremental.ts):
 *
 * - its tally: how it counts towards its build in `planFleet` (up, busy, idle past the fleet's
 *   idle time);
 * - its deadline: the earliest time at which `planFleet` could decide something new about it if
 *   nothing else changed. Each clause below mirrors one time-dependent condition of
 *   `planFleet` (`healthStep`, `idleLongEnough`); a deadline that comes too early only costs a
 *   visit, one that comes too late would be a missed decision, so every clause errs early.
 *
 * Times are whole milliseconds (every `Clock` here gives them): "more than T after X" first
 * holds at X + T + 1.
 */
import { idleLongEnough, occupancy, occupied, UP, type BuildTally, type FleetObservation, type ServerObservation } from './plan-fleet.js';

type Basis = Pick<FleetObservation, 'capacity' | 'health' | 'roles' | 'observingSince' | 'now'>;

/** How the server counts towards its build while it is not listed (see `BuildTally`). */
export function tallyOf(s: ServerObservation, obs: Pick<FleetObservation, 'capacity' | 'now'>): BuildTally {
  const up = UP.has(s.state);
  return {
    up: up ? 1 : 0,
    busy: up && occupancy(s) > 0 ? 1 : 0,
    idle: s.state === 'Ready' && idleLongEnough(s, obs.capacity.idleTimeoutSeconds, obs.now) ? 1 : 0,
  };
}

/** The earliest time after `now` at which a plan could act on this server unprompted; Infinity if never. */
export function dueAt(s: ServerObservation, obs: Basis): number {
  let due = Infinity;
  const after = (t: number): void => {
    if (t > obs.now && t < due) due = t;
  };
  if (s.state === 'Starting') after(Math.max(s.createdAt, obs.observingSince) + obs.health.startTimeoutSeconds * 1000 + 1);
  // Ready, Active: the health deadline. Unhealthy: the stop once it is missed again (a ping that
  // makes it healthy is a change the caller hears of).
  if (s.state === 'Ready' || s.state === 'Active' || s.state === 'Unhealthy') {
    after(Math.max(s.lastHealthAt ?? s.createdAt, obs.observingSince) + obs.health.timeoutSeconds * 1000 + 1);
  }
  if (!occupied(s) && s.emptySince !== null) {
    // Every idle time the plan may apply: the fleet's (surplus, and builds with no role) and each retiring role's.
    after(s.emptySince + obs.capacity.idleTimeoutSeconds * 1000);
    for (const role of obs.roles.values()) if (role.role === 'retiring') after(s.emptySince + role.idleSeconds * 1000);
  }
  return due;
}
