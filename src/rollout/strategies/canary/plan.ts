/**
 * A session-aware canary as a pure planner: (rollout, observed servers, now) → a plan.
 * Provisioning → [Verifying: smoke] → steps (setWeight → Progressing, pause → Paused, analysis →
 * Verifying) → Draining at 100 % → Completed once the old build is gone.
 *
 * A weight is a share of *new sessions*; open sessions never move. The canary is the LAST
 * routing entry, the old build the first, and the salt is the release's id for the whole
 * release, so each weight step only widens the canary's hash interval: a player (or party)
 * routed to the canary at 10 % is still routed to it at 50 % (see docs/routing.md). Weights
 * never decrease (validated at start) for the same reason. Cohort rules send chosen players to
 * the canary from the first step on, whatever the weight.
 */
import { takesNewSessions, type RoutingTable } from '../../../allocation/routing.js';
import type { ServerState } from '../../../fleet/model.js';
import type { SmokeResult } from '../../checks.js';
import type { Rollout } from '../../model.js';
import type { AnalysisSpec } from '../../../analysis/spec.js';
import { emptyPlan, failedPlan, type AnalysisCheck, type MetricsCheck, type RolloutObservation, type RolloutPlan } from '../../strategy.js';
import { gateRunning, INCONCLUSIVE_NEXT, metricsCheck } from '../analysis-gate.js';
import { cohortRules, hasCohort } from '../cohort.js';
import { planDrain } from '../drain.js';
import { IN_PLACE_DRAIN_REASON, isInPlace, provisionInPlace, withCaps, type InPlaceProgress } from './in-place.js';
import { canarySteps, type CanaryAnalysis, type CanarySpec } from './spec.js';

type CanaryRollout = Rollout & { spec: CanarySpec };
type Observation = RolloutObservation<CanarySpec>;

const READY = new Set<ServerState>(['Ready', 'Active']);

/** The release's progress through its steps, kept in `progressState`. */
export type CanaryProgress = {
  /** Index in `canarySteps(spec)` of the step under way; the step count once all are done. */
  step: number;
  /** When the step under way began (a timed pause counts from it). */
  stepStartedAt: number;
  /** The canary's share of new sessions now, 0–100. */
  weight: number;
  /** The pause an operator's `promote` released, if any. */
  promotedStep: number | null;
  /** Every weight the canary was given, and when: the release's weight steps. */
  weights: { weight: number; at: number }[];
  /** An in-place canary's replacement and role caps (see `in-place.ts`); absent otherwise. */
  inPlace?: InPlaceProgress;
};

export function canaryProgress(r: Rollout): CanaryProgress {
  const p = r.progressState ?? {};
  const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);
  return {
    step: num(p.step, 0),
    stepStartedAt: num(p.stepStartedAt, r.readyAt ?? r.createdAt),
    weight: num(p.weight, 0),
    promotedStep: typeof p.promotedStep === 'number' ? p.promotedStep : null,
    weights: Array.isArray(p.weights) ? (p.weights as CanaryProgress['weights']) : [],
    ...(typeof p.inPlace === 'object' && p.inPlace !== null ? { inPlace: p.inPlace as InPlaceProgress } : {}),
  };
}

/** New sessions: `weight` % to the canary (last entry), the rest to the old build (first), cohort to the canary. */
export function canaryRouting(r: Pick<CanaryRollout, 'id' | 'fromBuild' | 'toBuild' | 'spec'>, weight: number): RoutingTable {
  return {
    entries: [{ build: r.fromBuild, weight: 100 - weight }, { build: r.toBuild, weight }],
    rules: cohortRules(r.spec.cohort, r.toBuild, 'canary'),
    salt: r.id,
  };
}

export function planCanary(o: Observation): RolloutPlan {
  const plan = planSteps(o);
  return isInPlace(o.rollout.spec) ? withInPlaceCaps(o, plan) : plan;
}

function planSteps(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  switch (r.phase) {
    case 'Provisioning':
      return provisioning(o);
    case 'Progressing':
    case 'Paused':
      return crashLooping(r, now) ?? run(o, canaryProgress(r), {}, false);
    case 'Verifying':
      return crashLooping(r, now) ?? verifying(o);
    case 'Draining': {
      const fullAt = canaryProgress(r).weights.at(-1)?.at ?? r.switchedAt ?? now;
      return planDrain(r, o.servers, now, { winner: r.toBuild, leaving: [r.fromBuild], since: fullAt, drain: r.spec.drain });
    }
    default:
      return emptyPlan();
  }
}

function provisioning(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  const failed = crashLooping(r, now);
  if (failed) return failed;
  // In place, the ready timer starts only once canary servers are asked for: old servers may
  // take any time to empty first, and that is waiting for players, not for the build.
  if (isInPlace(r.spec)) return provisioningInPlace(o);
  if (now - r.createdAt > r.spec.readyTimeoutSeconds * 1000) {
    return failedPlan(r, now, `build ${r.toBuild} was not Ready within ${r.spec.readyTimeoutSeconds}s`);
  }
  const ready = o.servers.filter((s) => s.build === r.toBuild && READY.has(s.state)).length;
  if (ready < r.targetServers) {
    const message = `waiting for ${r.toBuild}: ${ready}/${r.targetServers} canary servers Ready`;
    return message === r.message ? emptyPlan() : { ...emptyPlan(), patch: { message } };
  }
  const start: CanaryProgress = { step: 0, stepStartedAt: now, weight: 0, promotedStep: null, weights: [] };
  return run(o, start, { readyAt: now, progressState: start }, true);
}

/** In place: old servers leave rotation and empty; canary servers start in the room they leave. */
function provisioningInPlace(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  const ps = canaryProgress(r);
  if (!ps.inPlace) return failedPlan(r, now, 'an in-place canary without its progress (a release stored by an older version)');
  const { drains, next, ready } = provisionInPlace(ps.inPlace, o.servers, r, now);
  const limit = r.spec.readyTimeoutSeconds;
  if (next.waitingSince !== null && now - next.waitingSince > limit * 1000) {
    return failedPlan(r, now, `build ${r.toBuild}: ${ready}/${next.canaryCap} canary servers Ready after ${limit}s`);
  }
  const drainServers = drains.map((s) => ({ serverId: s.id, reason: IN_PLACE_DRAIN_REASON }));
  if (ready >= next.servers) {
    const start: CanaryProgress = { step: 0, stepStartedAt: now, weight: 0, promotedStep: null, weights: [], inPlace: next };
    return { ...run(o, start, { readyAt: now, progressState: start }, true), drainServers };
  }
  const out = next.drained.length - next.replaced;
  const sessions = o.servers.filter((s) => next.drained.includes(s.id)).reduce((n, s) => n + s.used, 0);
  const message = `replacing ${next.servers} ${r.fromBuild} servers in place: ${out} emptying (${sessions} sessions), ${next.replaced} replaced; ${ready}/${next.servers} canary servers Ready`;
  const patch: Partial<Rollout> = {};
  if (message !== r.message) patch.message = message;
  if (JSON.stringify(next) !== JSON.stringify(ps.inPlace)) patch.progressState = { ...ps, inPlace: next };
  return { ...emptyPlan(), patch, drainServers };
}

/**
 * Every pass of an in-place canary until it ends: the room under the fleet's max, shared out
 * again as role caps from what this pass sees and the plan's own phase and weight.
 */
function withInPlaceCaps(o: Observation, plan: RolloutPlan): RolloutPlan {
  const r = o.rollout;
  const phase = plan.patch.phase ?? r.phase;
  if (phase !== 'Provisioning' && phase !== 'Progressing' && phase !== 'Paused' && phase !== 'Verifying' && phase !== 'Draining') return plan;
  const state = plan.patch.progressState ?? r.progressState ?? {};
  const ps = canaryProgress({ ...r, progressState: state });
  if (!ps.inPlace) return plan;
  const routed = ps.weight > 0 || hasCohort(r.spec.cohort);
  const drainingNow = plan.drainServers?.length ?? 0;
  const next = withCaps(ps.inPlace, o.servers, { fromBuild: r.fromBuild, toBuild: r.toBuild, phase, weight: ps.weight, routed: phase !== 'Provisioning' && routed, drainingNow });
  if (next) plan.patch = { ...plan.patch, progressState: { ...state, inPlace: next } };
  return plan;
}

function verifying(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  const ps = canaryProgress(r);
  if (!r.smoke || r.smoke.state === 'running') return emptyPlan();
  if (r.smoke.state === 'failed') return failedPlan(r, now, `${stepLabel(r, ps.step)}: analysis failed${r.smoke.serverId ? ` on ${r.smoke.serverId}` : ''}: ${r.smoke.detail}`);
  if (r.smoke.state === 'inconclusive') {
    // Too little data to judge: a person decides (`promote` continues, `abort` rolls back).
    return { ...emptyPlan(), patch: { phase: 'Paused', message: `${stepLabel(r, ps.step)}: analysis inconclusive at ${ps.weight}%: ${r.smoke.detail} ${INCONCLUSIVE_NEXT}` } };
  }
  return run(o, { ...ps, step: ps.step + 1, stepStartedAt: now }, {}, false);
}

/**
 * Runs steps from `ps.step` until one has to wait (a pause, an analysis) or none is left. Several
 * steps may pass in one call (setWeight 20 then a pause), but one routing table is emitted: the
 * last weight's. `install` emits the table even when the weight did not change (the first time).
 */
function run(o: Observation, ps: CanaryProgress, extra: Partial<Rollout>, install: boolean): RolloutPlan {
  const { rollout: r, now } = o;
  const steps = canarySteps(r.spec);
  let { step, stepStartedAt, weight } = ps;
  const weights = [...ps.weights];
  let reroute = install;
  let wait: Partial<Rollout> = {};
  let check: AnalysisCheck | null = null;
  while (step < steps.length) {
    const s = steps[step];
    if (s && 'setWeight' in s) {
      if (s.setWeight !== weight) {
        weight = s.setWeight;
        weights.push({ weight, at: now });
        reroute = true;
      }
    } else if (s && 'pause' in s) {
      const { seconds } = s.pause;
      if (ps.promotedStep !== step && (seconds === undefined || now < stepStartedAt + seconds * 1000)) {
        const until = seconds === undefined ? 'until promote' : `for ${seconds}s`;
        wait = { phase: 'Paused', message: `${stepLabel(r, step)}: paused at ${weight}% ${until}` };
        break;
      }
    } else if (s && 'metrics' in s.analysis && ps.promotedStep === step) {
      // An operator continued past this analysis's inconclusive verdict: on to the next step.
    } else if (s && 'metrics' in s.analysis && step === ps.step && r.phase === 'Paused' && r.smoke?.state === 'inconclusive') {
      wait = { phase: 'Paused' };
      break;
    } else if (s) {
      const started = startCheck(o, s.analysis, step, weight);
      wait = started ? { phase: 'Verifying', smoke: started.result, message: started.message } : { phase: 'Progressing', message: `${stepLabel(r, step)}: waiting for a Ready ${r.toBuild} server to check` };
      check = started?.check ?? null;
      break;
    }
    step++;
    stepStartedAt = now;
  }
  const next: CanaryProgress = { step, stepStartedAt, weight, promotedStep: ps.promotedStep, weights, ...(ps.inPlace ? { inPlace: ps.inPlace } : {}) };
  const patch: Partial<Rollout> = { ...extra };
  if (JSON.stringify(next) !== JSON.stringify(canaryProgress(r)) || install) patch.progressState = next;
  const plan: RolloutPlan = { ...emptyPlan(), check };
  if (reroute) {
    plan.routing = canaryRouting(r, weight);
    if (r.switchedAt === null && takesNewSessions(plan.routing, r.toBuild)) patch.switchedAt = now;
  }
  if (step >= steps.length) {
    wait = { phase: 'Draining', message: `100% of new sessions go to ${r.toBuild}; ${r.fromBuild} is emptying` };
  }
  if (wait.phase !== undefined && wait.phase !== r.phase) patch.phase = wait.phase;
  if (wait.message !== undefined && wait.message !== r.message) patch.message = wait.message;
  if (wait.smoke) patch.smoke = wait.smoke;
  plan.patch = patch;
  return plan;
}

function startCheck(o: Observation, analysis: CanaryAnalysis, step: number, weight: number): { check: AnalysisCheck; result: SmokeResult; message: string } | null {
  const { rollout: r, now } = o;
  const target = o.servers.find((s) => s.build === r.toBuild && READY.has(s.state));
  const result = (serverId: string): SmokeResult => ({ state: 'running', serverId, startedAt: now, finishedAt: null, detail: '' });
  if ('metrics' in analysis) {
    const seconds = analysis.metrics.windowSeconds;
    return {
      check: canaryMetricsCheck(r, analysis.metrics, step, weight, now),
      result: gateRunning(now),
      message: `${stepLabel(r, step)}: analysing ${r.toBuild} against ${r.fromBuild} at ${weight}% for ${seconds}s`,
    };
  }
  if ('smoke' in analysis) {
    if (!target) return null;
    return { check: { serverId: target.id, smoke: analysis.smoke }, result: result(target.id), message: `${stepLabel(r, step)}: smoke check on ${target.id} at ${weight}%` };
  }
  const serverId = target?.id ?? '';
  return {
    check: { serverId, webhook: analysis.webhook, payload: webhookPayload(r, step, weight) },
    result: result(serverId),
    message: `${stepLabel(r, step)}: asking ${analysis.webhook.url} at ${weight}%`,
  };
}

/** What a webhook is told: enough to find the release and its builds through the API. */
export function webhookPayload(r: Rollout, step: number, weight: number): Record<string, unknown> {
  const steps = r.spec.strategy === 'canary' ? canarySteps(r.spec).length : 0;
  return { rollout: r.id, fleet: r.fleet, strategy: r.spec.strategy, fromBuild: r.fromBuild, toBuild: r.toBuild, step: step + 1, steps, weight };
}

/** A metrics analysis of the canary against the old build over the window starting at `since`. */
function canaryMetricsCheck(r: CanaryRollout, analysis: AnalysisSpec, step: number, weight: number, since: number): MetricsCheck {
  return metricsCheck(r, analysis, stepLabel(r, step), since, webhookPayload(r, step, weight));
}

/** The check a Verifying canary waits on (run again after a control-plane restart). */
export function runningCanaryCheck(r: CanaryRollout): AnalysisCheck | null {
  if (r.phase !== 'Verifying' || !r.smoke) return null;
  const ps = canaryProgress(r);
  const s = canarySteps(r.spec)[ps.step];
  if (!s || !('analysis' in s)) return null;
  const { serverId } = r.smoke;
  if ('metrics' in s.analysis) return canaryMetricsCheck(r, s.analysis.metrics, ps.step, ps.weight, r.smoke.startedAt);
  return 'smoke' in s.analysis ? { serverId, smoke: s.analysis.smoke } : { serverId, webhook: s.analysis.webhook, payload: webhookPayload(r, ps.step, ps.weight) };
}

function stepLabel(r: CanaryRollout, step: number): string {
  return `step ${step + 1}/${canarySteps(r.spec).length}`;
}

function crashLooping(r: CanaryRollout, now: number): RolloutPlan | null {
  if (r.startFailures < r.spec.maxStartFailures) return null;
  return failedPlan(r, now, `build ${r.toBuild} failed to start ${r.startFailures} times; last failure: ${r.lastFailure ?? 'unknown'}`);
}

