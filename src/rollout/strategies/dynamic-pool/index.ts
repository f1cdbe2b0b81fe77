/**
 * The dynamic pool: the Arena single-deployment pattern. Servers of the new build join the
 * fleet's pool, the allocator fills the newest build first, and older servers stop once they
 * have been empty for the idle time (600 s by default). See `plan.ts`.
 */
import { HandoffError } from '../../../core/errors.js';
import type { BuildRole } from '../../../fleet/plan-fleet.js';
import type { Rollout } from '../../model.js';
import type { Strategy } from '../../strategy.js';
import { olderBuilds, planDynamicPool } from './plan.js';
import { dynamicPoolOptions, type DynamicPoolSpec } from './spec.js';

/**
 * New-build servers to bring up: the number asked for, or (`match`) as many as the old build
 * runs, at least the fleet's min; always within the fleet's max, and at least one.
 */
export function poolTarget(servers: DynamicPoolSpec['servers'], capacity: { minServers: number; maxServers: number }, runningOld: number): number {
  const wanted = servers === 'match' ? Math.max(capacity.minServers, runningOld) : servers;
  return Math.max(1, Math.min(capacity.maxServers, wanted));
}

export const dynamicPool: Strategy<DynamicPoolSpec> = {
  name: 'dynamic-pool',
  summary: 'add servers of the new build to the pool, fill the newest build first, stop older servers once idle',
  options: dynamicPoolOptions,
  validate: () => undefined,
  init: (spec, start) => {
    const target = poolTarget(spec.servers, start.capacity, start.runningOld);
    return { phase: 'Provisioning', message: `starting ${target} servers of the new build to join the pool`, targetServers: target };
  },
  plan: planDynamicPool,
  roles(r: Rollout & { spec: DynamicPoolSpec }, fleetIdleSeconds: number): Map<string, BuildRole> {
    const roles = new Map<string, BuildRole>();
    if (r.phase === 'Provisioning') {
      roles.set(r.toBuild, { role: 'preview', target: r.targetServers });
    } else if (r.phase === 'Progressing' || r.phase === 'Completed') {
      // Older builds still take the overflow while in the pool, but never grow: each server
      // goes once empty for the release's idle time.
      for (const build of olderBuilds(r)) roles.set(build, { role: 'retiring', idleSeconds: r.spec.oldIdleSeconds, fallback: true });
    } else {
      // Aborted or failed: the new build's servers go once empty.
      roles.set(r.toBuild, { role: 'retiring', idleSeconds: r.spec.oldIdleSeconds ?? fleetIdleSeconds });
    }
    return roles;
  },
  abortable: ['Provisioning', 'Progressing'],
  promote(r) {
    throw new HandoffError('ROLLOUT_INVALID_PHASE', `rollout ${r.id} is a dynamic pool, which needs no promote`, { phase: r.phase, strategy: 'dynamic-pool' });
  },
  hasRouted: (r) => r.switchedAt !== null,
};
