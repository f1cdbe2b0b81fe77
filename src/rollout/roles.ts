/**
 * What each build of a fleet is for right now, derived from the routing table and the
 * fleet's latest rollout's strategy. The fleet planner scales servers from these roles;
 * strategies never start or stop servers themselves.
 */
import { takesNewSessions, type RoutingTable } from '../allocation/routing.js';
import type { BuildRole } from '../fleet/plan-fleet.js';
import type { Rollout } from './model.js';
import { strategyOf } from './strategies/index.js';

export { previewTarget } from './strategies/blue-green/index.js';

export function fleetRoles(routing: RoutingTable, fleetIdleSeconds: number, rollout: Rollout | null): Map<string, BuildRole> {
  const roles = new Map<string, BuildRole>();
  const total = routing.entries.reduce((sum, e) => sum + Math.max(0, e.weight), 0);
  for (const e of routing.entries) {
    if (e.weight > 0 && total > 0) roles.set(e.build, { role: 'routed', share: e.weight / total });
    // Only a cohort rule sends players here (an allow-list canary at 0 %): keep it serving them.
    else if (takesNewSessions(routing, e.build)) roles.set(e.build, { role: 'routed', share: 0 });
    else roles.set(e.build, { role: 'retiring', idleSeconds: fleetIdleSeconds });
  }
  if (!rollout) return roles;
  for (const [build, idleSeconds] of Object.entries(rollout.drainingBuilds ?? {})) {
    if (roles.get(build)?.role !== 'routed') roles.set(build, { role: 'retiring', idleSeconds });
  }
  for (const [build, role] of strategyOf(rollout).roles(rollout, fleetIdleSeconds)) {
    // A build the routing sends new sessions to keeps scaling with demand, whatever a release
    // says, unless the release routes it only as a fallback it retires on purpose (dynamic pool).
    if (role.role === 'retiring' && !role.fallback && roles.get(build)?.role === 'routed') continue;
    roles.set(build, role);
  }
  return roles;
}
