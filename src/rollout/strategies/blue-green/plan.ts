/**
 * Session-aware blue-green as a pure planner: (rollout, observed servers, now) → a plan.
 * Provisioning → [Verifying: smoke, then a pre-switch analysis] → [AwaitingPromotion] → switch → Draining → Completed.
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
import type { AnalysisSpec } from '../../../analysis/spec.js';
import { emptyPlan, failedPlan, provisioningProblem, restoredRouting, type AnalysisCheck, type MetricsCheck, type RolloutObservation, type RolloutPlan } from '../../strategy.js';
import { gateRunning, metricsCheck } from '../analysis-gate.js';
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
  return afterChecks(r, now, { readyAt: now });
}

function verifying(r: BlueGreenRollout, now: number): RolloutPlan {
  if (!r.smoke || r.smoke.state === 'running') return emptyPlan();
  if (gateOf(r) === 'pre-switch') {
    // The pre-switch verdict (see ../analysis-gate.ts); an inconclusive one waits for a person.
    const judged = { progressState: { gate: 'pre-switch', judged: true } };
    if (r.smoke.state === 'failed') return failedPlan(r, now, `pre-switch analysis failed: ${r.smoke.detail}`);
    if (r.smoke.state === 'inconclusive') {
      return { ...emptyPlan(), patch: { ...judged, phase: 'AwaitingPromotion', message: `pre-switch analysis inconclusive: ${r.smoke.detail} Promote to switch, abort to roll back.` } };
    }
    return afterVerification(r, now, judged);
  }
  if (r.smoke.state === 'failed') return failedPlan(r, now, `smoke check failed on ${r.smoke.serverId}: ${r.smoke.detail}`);
  return afterChecks(r, now, {});
}

/** The pre-switch analysis, when the release has one it has not judged yet; else on to the switch. */
function afterChecks(r: BlueGreenRollout, now: number, extra: Partial<Rollout>): RolloutPlan {
  const analysis = r.spec.analysis?.preSwitch;
  if (!analysis || gateOf(r) !== null) return afterVerification(r, now, extra);
  return {
    ...emptyPlan(),
    check: gateCheck(r, analysis, 'pre-switch', now),
    patch: {
      ...extra, phase: 'Verifying', smoke: gateRunning(now), progressState: { gate: 'pre-switch', judged: false },
      message: `pre-switch: analysing ${r.toBuild} against ${r.fromBuild} for ${analysis.windowSeconds}s`,
    },
  };
}

/** Which analysis gate the release has started (its verdict may be in); null before any. */
function gateOf(r: BlueGreenRollout): Gate | null {
  const gate = r.progressState?.['gate'];
  return gate === 'pre-switch' || gate === 'post-switch' ? gate : null;
}

type Gate = 'pre-switch' | 'post-switch';

function gateCheck(r: BlueGreenRollout, analysis: AnalysisSpec, gate: Gate, since: number): MetricsCheck {
  const payload = { rollout: r.id, fleet: r.fleet, strategy: 'blue-green', fromBuild: r.fromBuild, toBuild: r.toBuild, gate };
  return metricsCheck(r, analysis, gate, since, payload);
}

/** The check a blue-green release waits on (run again after a control-plane restart): Verifying, or Draining after the switch. */
export function runningBlueGreenCheck(r: BlueGreenRollout): AnalysisCheck | null {
  if (!r.smoke || r.smoke.state !== 'running') return null;
  const gate = gateOf(r);
  const post = r.spec.analysis?.postSwitch;
  if (r.phase === 'Draining') return gate === 'post-switch' && post ? gateCheck(r, post, gate, r.smoke.startedAt) : null;
  if (r.phase !== 'Verifying') return null;
  const pre = r.spec.analysis?.preSwitch;
  if (gate === 'pre-switch' && pre) return gateCheck(r, pre, gate, r.smoke.startedAt);
  return r.spec.smoke ? { serverId: r.smoke.serverId, smoke: r.spec.smoke } : null;
}

function afterVerification(r: BlueGreenRollout, now: number, extra: Partial<Rollout>): RolloutPlan {
  if (r.spec.autoPromote || r.promotedAt !== null) {
    const plan = switchNow(r, now);
    return { ...plan, patch: { ...extra, ...plan.patch } };
  }
  return { ...emptyPlan(), patch: { ...extra, phase: 'AwaitingPromotion', message: `${r.toBuild} is ready; waiting for promote` } };
}

function switchNow(r: BlueGreenRollout, now: number): RolloutPlan {
  const plan: RolloutPlan = {
    ...emptyPlan(),
    routing: switchedRouting(r),
    patch: { phase: 'Draining', switchedAt: now, message: `switched: new sessions go to ${r.toBuild}; ${r.fromBuild} is emptying` },
  };
  const post = r.spec.analysis?.postSwitch;
  if (!post) return plan;
  // Judged over the window that starts with the switch: the new build's first players against the old build's last.
  return { ...plan, check: gateCheck(r, post, 'post-switch', now), patch: { ...plan.patch, smoke: gateRunning(now), progressState: { gate: 'post-switch', judged: false } } };
}

function draining(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  const old = o.servers.filter((s) => s.build === r.fromBuild);
  const pending = gateOf(r) === 'post-switch' && r.progressState?.['judged'] !== true;
  let verdict: Partial<Rollout> = {};
  if (pending && r.smoke && r.smoke.state !== 'running') {
    if (r.smoke.state === 'failed') return rollBack(o, `post-switch analysis failed: ${r.smoke.detail}`);
    // Pass, or inconclusive: the switch stands; a person may still abort (which rolls back).
    const said = r.smoke.state === 'inconclusive' ? `post-switch analysis inconclusive (${r.smoke.detail}); abort rolls back. ` : '';
    verdict = { progressState: { gate: 'post-switch', judged: true }, ...(said ? { message: `${said}${r.fromBuild}: ${old.length} servers left` } : {}) };
  } else if (pending && old.length === 0) {
    // Completing would make the new build the fleet's own: a failing verdict must still be able to roll back.
    const message = `${r.toBuild} serves; waiting for the post-switch verdict before the release completes`;
    return message === r.message ? emptyPlan() : { ...emptyPlan(), patch: { message } };
  }
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
  return { ...emptyPlan(), ...migration, patch: { ...patch, ...verdict } };
}

/**
 * A failed post-switch verdict: new sessions go back to the old build on the next allocation,
 * the new build's players finish where they are, and old servers told to drain are told it is off.
 */
function rollBack(o: Observation, message: string): RolloutPlan {
  const { rollout: r, now } = o;
  const plan = failedPlan(r, now, message);
  if (r.drainNoticeAt === null) return plan;
  const notices = o.servers.filter((s) => s.build === r.fromBuild).map((s) => ({ serverId: s.id, notice: { type: 'drain-cancelled' as const, at: now } }));
  return { ...plan, notices };
}

