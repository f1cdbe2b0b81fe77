/**
 * The dynamic pool (the Arena single-deployment pattern) as a pure planner:
 * Provisioning → Progressing → Completed.
 * N servers of the new build are started beside the old ones; once they are Ready they join
 * the pool: the routing table prefers the newest build (`prefer: 'newest'`, ranked), so new
 * sessions fill it first and reach an older build only when the newer one has no room. Older
 * servers take no part in scaling any more: each is stopped by the fleet planner once empty
 * for `oldIdleSeconds` (roles in `index.ts`). The release completes when no server of an
 * older build is left. An optional gentle migration moves the last players off older builds;
 * from its notice on, older builds take no new sessions at all.
 */
import type { RouteEntry, RoutingTable } from '../../../allocation/routing.js';
import type { ServerState } from '../../../fleet/model.js';
import type { Rollout } from '../../model.js';
import { planMigration } from '../../plan-migration.js';
import { emptyPlan, failedPlan, provisioningProblem, type RolloutObservation, type RolloutPlan } from '../../strategy.js';
import type { DynamicPoolSpec } from './spec.js';

type Observation = RolloutObservation<DynamicPoolSpec>;

const READY = new Set<ServerState>(['Ready', 'Active']);

/**
 * The builds the pool moves away from, most preferred first: those the routing before the
 * release sent new sessions to (by rank under `prefer: newest`, else by weight), or the old build.
 */
export function olderBuilds(r: Pick<Rollout, 'fromBuild' | 'toBuild' | 'previousRouting'>): string[] {
  const before = r.previousRouting;
  const routed = (before?.entries ?? []).filter((e) => e.weight > 0 && e.build !== r.toBuild);
  const key = (e: RouteEntry): number => (before?.prefer === 'newest' ? (e.rank ?? Number.NEGATIVE_INFINITY) : e.weight);
  // Array.prototype.sort is stable: equals keep table order.
  const builds = [...routed].sort((a, b) => key(b) - key(a)).map((e) => e.build);
  return builds.length > 0 ? builds : [r.fromBuild];
}

/**
 * The pool's routing: the new build ranked first, older builds below it in their order. Their
 * weights only say which builds take sessions at all; `closed` (after a migration notice) keeps
 * older builds in the table for views but sends them nothing.
 */
export function poolRouting(r: Pick<Rollout, 'fromBuild' | 'toBuild' | 'previousRouting'>, closed = false): RoutingTable {
  const older = olderBuilds(r);
  return {
    entries: [
      { build: r.toBuild, weight: 100, rank: older.length + 1 },
      ...older.map((build, i) => ({ build, weight: closed ? 0 : 1, rank: older.length - i })),
    ],
    prefer: 'newest',
  };
}

export function planDynamicPool(o: Observation): RolloutPlan {
  switch (o.rollout.phase) {
    case 'Provisioning':
      return provisioning(o);
    case 'Progressing':
      return progressing(o);
    default:
      return emptyPlan();
  }
}

function provisioning(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  const problem = provisioningProblem(r, now);
  if (problem) return failedPlan(r, now, problem);
  const ready = o.servers.filter((s) => s.build === r.toBuild && READY.has(s.state)).length;
  if (ready < r.targetServers) {
    const message = `waiting for ${r.toBuild}: ${ready}/${r.targetServers} servers Ready`;
    return message === r.message ? emptyPlan() : { ...emptyPlan(), patch: { message } };
  }
  return {
    ...emptyPlan(),
    routing: poolRouting(r),
    patch: {
      phase: 'Progressing', readyAt: now, switchedAt: now,
      message: `${r.toBuild} joined the pool: new sessions fill it first; ${olderBuilds(r).join(', ')} take the overflow and retire once idle`,
    },
  };
}

function progressing(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  const older = new Set(olderBuilds(r));
  const old = o.servers.filter((s) => older.has(s.build));
  if (old.length === 0) {
    return {
      ...emptyPlan(),
      routing: { entries: [{ build: r.toBuild, weight: 100 }] },
      completeFleetWith: r.toBuild,
      patch: { phase: 'Completed', completedAt: now, message: `${r.toBuild} is the fleet's build; ${[...older].join(', ')} retired` },
    };
  }
  const sessions = old.reduce((n, s) => n + s.used, 0);
  const message = `${[...older].join(', ')}: ${old.length} servers, ${sessions} sessions left`;
  const migration = planMigration(r.spec.migration, r, old, now);
  const patch = message === r.message ? migration.patch : { ...migration.patch, message };
  // From the migration notice on, nobody new joins a server about to be migrated.
  const routing = migration.patch.drainNoticeAt !== undefined ? poolRouting(r, true) : null;
  return { ...emptyPlan(), ...migration, patch, routing };
}

