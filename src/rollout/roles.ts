/**
 * What each build of a fleet is for right now, derived from the routing table and the
 * fleet's latest rollout. The fleet planner scales servers from these roles; strategies never
 * start or stop servers themselves.
 */
import type { RoutingTable } from '../allocation/routing.js';
import type { BuildRole } from '../fleet/plan-fleet.js';
import type { Rollout } from './model.js';

const PRE_SWITCH = new Set(['Provisioning', 'Verifying', 'AwaitingPromotion']);

/**
 * How many servers of the new build a blue-green release brings up before the switch: as many
 * as the old build runs now, within the fleet's min and max, and at least one.
 */
export function previewTarget(capacity: { minServers: number; maxServers: number }, runningOld: number): number {
  return Math.min(capacity.maxServers, Math.max(1, capacity.minServers, runningOld));
}

export function fleetRoles(routing: RoutingTable, fleetIdleSeconds: number, rollout: Rollout | null): Map<string, BuildRole> {
  const roles = new Map<string, BuildRole>();
  const total = routing.entries.reduce((sum, e) => sum + Math.max(0, e.weight), 0);
  for (const e of routing.entries) {
    roles.set(e.build, e.weight > 0 && total > 0 ? { role: 'routed', share: e.weight / total } : { role: 'retiring', idleSeconds: fleetIdleSeconds });
  }
  if (!rollout) return roles;
  const idleSeconds = rollout.spec.oldIdleSeconds ?? fleetIdleSeconds;
  if (PRE_SWITCH.has(rollout.phase)) {
    roles.set(rollout.toBuild, { role: 'preview', target: rollout.targetServers });
  }
  // The build leaving the fleet retires on the release's idle time, not the fleet's.
  const leaving = rollout.phase === 'Draining' || rollout.phase === 'Completed' ? rollout.fromBuild : rollout.toBuild;
  if (!PRE_SWITCH.has(rollout.phase) && roles.get(leaving)?.role !== 'routed') {
    roles.set(leaving, { role: 'retiring', idleSeconds });
  }
  return roles;
}
