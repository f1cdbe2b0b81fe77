/**
 * Session-aware blue-green as a pure planner: (rollout, observed servers, now) → a plan.
 * Provisioning → [Verifying] → [AwaitingPromotion] → switch → Draining → Completed.
 * The switch is one routing-table change: every new session goes to the new build at once,
 * while sessions already open stay where they are until they end (or until an optional gentle
 * migration announces a deadline and closes them as `migrated`, with migration tokens). Servers are started and stopped by the fleet
 * planner from the roles in `roles.ts`; this planner never stops a server.
 */
import type { RoutingTable } from '../../../allocation/routing.js';
import type { ServerState } from '../../../fleet/model.js';
import type { SmokeResult } from '../../checks.js';
import type { Rollout } from '../../model.js';
import { planMigration } from '../../plan-migration.js';
import { emptyPlan, failedPlan, provisioningProblem, restoredRouting, type RolloutObservation, type RolloutPlan } from '../../strategy.js';
import { blueGreenMigration, type BlueGreenSpec } from './spec.js';

type Observation = RolloutObservation<BlueGreenSpec>;
type BlueGreenRollout = Rollout & { spec: BlueGreenSpec };

const READY = new Set<ServerState>(['Ready', 'Active']);

export function switchedRouting(r: Rollout): RoutingTable {
  return { entries: [{ build: r.toBuild, weight: 100 }, { build: r.fromBuild, weight: 0 }] };
}

export function rolledBackRouting(r: Rollout): RoutingTable {
  return restoredRouting(r);
}

export function planBlueGreen(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  switch (r.phase) {
    case 'Provisioning':
      return provisioning(o);
    case 'Verifying':
      return verifying(r, now);
    case 'AwaitingPromotion':
      return r.promotedAt !== null ? switchNow(r, now) : emptyPlan();
    case 'Draining':
      return draining(o);
    default:
      return emptyPlan();
  }
}

function provisioning(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  const problem = provisioningProblem(r, now);
  if (problem) return failedPlan(r, now, problem);
  const ready = o.servers.filter((s) => s.build === r.toBuild && READY.has(s.state));
  if (ready.length < r.targetServers) {
    const message = `waiting for ${r.toBuild}: ${ready.length}/${r.targetServers} servers Ready`;
    return message === r.message ? emptyPlan() : { ...emptyPlan(), patch: { message } };
  }
  const first = ready[0];
  if (r.spec.smoke && first) {
    const smoke: SmokeResult = { state: 'running', serverId: first.id, startedAt: now, finishedAt: null, detail: '' };
    return {
      ...emptyPlan(),
      smokeOn: first.id,
      patch: { phase: 'Verifying', readyAt: now, smoke, message: `smoke check running against ${first.id}` },
    };
  }
  return afterVerification(r, now, { readyAt: now });
}

function verifying(r: BlueGreenRollout, now: number): RolloutPlan {
  if (!r.smoke || r.smoke.state === 'running') return emptyPlan();
  if (r.smoke.state === 'failed') return failedPlan(r, now, `smoke check failed on ${r.smoke.serverId}: ${r.smoke.detail}`);
  return afterVerification(r, now, {});
}

function afterVerification(r: BlueGreenRollout, now: number, extra: Partial<Rollout>): RolloutPlan {
  if (r.spec.autoPromote || r.promotedAt !== null) {
    const plan = switchNow(r, now);
    return { ...plan, patch: { ...extra, ...plan.patch } };
  }
  return { ...emptyPlan(), patch: { ...extra, phase: 'AwaitingPromotion', message: `${r.toBuild} is ready; waiting for promote` } };
}

function switchNow(r: BlueGreenRollout, now: number): RolloutPlan {
  return {
    ...emptyPlan(),
    routing: switchedRouting(r),
    patch: { phase: 'Draining', switchedAt: now, message: `switched: new sessions go to ${r.toBuild}; ${r.fromBuild} is emptying` },
  };
}

function draining(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  const old = o.servers.filter((s) => s.build === r.fromBuild);
  if (old.length === 0) {
    return {
      ...emptyPlan(),
      routing: { entries: [{ build: r.toBuild, weight: 100 }] },
      completeFleetWith: r.toBuild,
      patch: { phase: 'Completed', completedAt: now, message: `${r.toBuild} is the fleet's build; ${r.fromBuild} retired` },
    };
  }
  const sessions = old.reduce((n, s) => n + s.used, 0);
  const message = `${r.fromBuild}: ${old.length} servers, ${sessions} sessions left`;
  const migration = planMigration(blueGreenMigration(r.spec), r, old, now);
  const patch = message === r.message ? migration.patch : { ...migration.patch, message };
  return { ...emptyPlan(), ...migration, patch };
}

