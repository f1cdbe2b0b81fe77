/**
 * Warm servers: a staged idle slot keeps `warmServers` servers of its build started in each of
 * the environment's fleets — Ready, outside the routing table, taking no sessions — as the fleet
 * planner's `preview` role (the same role a blue-green release gives its new build before the
 * switch). A release to that build then finds its servers Ready and switches without starting
 * a process.
 */
import type { BuildRole } from '../fleet/plan-fleet.js';
import { idleSlot, liveSlot, type Environment } from './model.js';

/** The warm roles an environment asks of one of its fleets. */
export function warmRoles(env: Environment, fleet: string): Map<string, BuildRole> {
  const roles = new Map<string, BuildRole>();
  const idle = idleSlot(env);
  if (!env.fleets.includes(fleet) || idle.stagedAt === null || idle.warmServers <= 0) return roles;
  if (idle.build === liveSlot(env).build) return roles;
  roles.set(idle.build, { role: 'preview', target: idle.warmServers });
  return roles;
}

/**
 * Adds warm roles to the roles routing and releases give. What serves or is being prepared
 * wins (`routed`, `preview`); a warm role replaces only `retiring` (or no role at all).
 */
export function withWarm(base: ReadonlyMap<string, BuildRole>, warm: ReadonlyMap<string, BuildRole>): Map<string, BuildRole> {
  const out = new Map(base);
  for (const [build, role] of warm) {
    const current = out.get(build);
    if (!current || current.role === 'retiring') out.set(build, role);
  }
  return out;
}
