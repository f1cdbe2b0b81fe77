/**
 * Canary: start a few servers of the new build, then move a growing share of new sessions to
 * it step by step (weights, timed pauses, pauses until `promote`, analysis checks), with an
 * optional cohort on it from the start; at 100 % the old build empties and retires.
 */
import { validateRoutingTable } from '../../../allocation/decide-routing.js';
import { validateAnalysis } from '../../../analysis/spec.js';
import { HandoffError } from '../../../core/errors.js';
import type { BuildRole } from '../../../fleet/plan-fleet.js';
import type { Rollout } from '../../model.js';
import type { Strategy } from '../../strategy.js';
import { hasCohort } from '../cohort.js';
import { inPlaceCount, initialInPlace, isInPlace } from './in-place.js';
import { canaryProgress, canaryRouting, planCanary, runningCanaryCheck } from './plan.js';
import { canaryOptions, type CanarySpec } from './spec.js';

type CanaryRollout = Rollout & { spec: CanarySpec };

/**
 * Refuses steps that would break the canary's promises: a weight lower than an earlier one
 * would send some of its players back to the old build, and steps that never reach 100 would
 * leave the fleet split forever.
 */
export function validateCanary(spec: CanarySpec): void {
  let previous = 0;
  spec.steps.forEach((s, i) => {
    if ('analysis' in s && 'metrics' in s.analysis) validateAnalysis(s.analysis.metrics);
    if (!('setWeight' in s)) return;
    if (s.setWeight < previous) {
      throw new HandoffError('ROLLOUT_STEPS_INVALID', `steps[${i}]: setWeight ${s.setWeight} is lower than an earlier ${previous}; a canary only grows, so its players stay on it`, { step: i, weight: s.setWeight, previous });
    }
    previous = s.setWeight;
  });
  const last = spec.steps.at(-1);
  if (!last || !('setWeight' in last) || last.setWeight !== 100) {
    throw new HandoffError('ROLLOUT_STEPS_INVALID', 'the canary steps never reach 100: end them with { "setWeight": 100 }', { step: spec.steps.length - 1, reason: 'never-reaches-100' });
  }
  // The cohort as routing rules, checked the way the allocator will read them.
  validateRoutingTable(canaryRouting({ id: 'check', fromBuild: 'old', toBuild: 'canary', spec }, 0));
}

/** Canary servers to have Ready before the first step: the first weight's share of the old build's, at least one. */
export function canaryTarget(spec: CanarySpec, capacity: { maxServers: number }, runningOld: number): number {
  const first = spec.steps.find((s): s is { setWeight: number } => 'setWeight' in s && s.setWeight > 0)?.setWeight ?? 0;
  return Math.min(capacity.maxServers, Math.max(1, Math.ceil((runningOld * first) / 100)));
}

const STEPPING = new Set(['Progressing', 'Paused', 'Verifying']);

export const canary: Strategy<CanarySpec> = {
  name: 'canary',
  summary: 'move a growing share of new sessions to the new build in steps (pauses, checks, a cohort first), then let the old build empty',
  options: canaryOptions,
  validate: (spec) => validateCanary(spec),
  init(spec, start) {
    if (!isInPlace(spec)) return { phase: 'Provisioning', message: 'starting canary servers', targetServers: canaryTarget(spec, start.capacity, start.runningOld) };
    // Throws before anything changes when the count cannot be replaced in place.
    const n = inPlaceCount(spec, start.runningOld);
    return {
      phase: 'Provisioning',
      message: `taking ${n} ${start.fromBuild} servers out of rotation to replace them in place`,
      targetServers: n,
      progressState: { step: 0, stepStartedAt: 0, weight: 0, promotedStep: null, weights: [], inPlace: initialInPlace(n, start.capacity, start.runningOld) },
    };
  },
  plan: planCanary,
  roles(r: CanaryRollout, fleetIdleSeconds: number): Map<string, BuildRole> {
    const roles = new Map<string, BuildRole>();
    const oldIdle = { role: 'retiring' as const, idleSeconds: r.spec.oldIdleSeconds ?? fleetIdleSeconds };
    const { weight, inPlace } = canaryProgress(r);
    const waiting = r.phase === 'Provisioning' || (STEPPING.has(r.phase) && weight === 0 && !hasCohort(r.spec.cohort));
    if (inPlace && (waiting || STEPPING.has(r.phase) || r.phase === 'Draining')) {
      // In place: both builds within the caps the planner shares out under the fleet's max.
      const full = r.phase === 'Draining' || weight === 100;
      roles.set(r.toBuild, waiting ? { role: 'preview', target: inPlace.canaryCap } : { role: 'routed', share: full ? 1 : weight / 100, cap: inPlace.canaryCap });
      roles.set(r.fromBuild, full ? oldIdle : { role: 'routed', share: (100 - weight) / 100, cap: inPlace.oldCap });
    } else if (waiting) {
      // No player is routed to the canary yet: keep its servers up for the next step or check.
      roles.set(r.toBuild, { role: 'preview', target: r.targetServers });
    } else if (r.phase === 'Draining' || r.phase === 'Completed' || (STEPPING.has(r.phase) && weight === 100)) {
      roles.set(r.fromBuild, oldIdle);
    } else if (r.phase === 'Aborted' || r.phase === 'Failed') {
      roles.set(r.toBuild, oldIdle);
    }
    return roles;
  },
  abortable: ['Provisioning', 'Verifying', 'Progressing', 'Paused', 'Draining'],
  promote(r, input, now) {
    if (input.variant != null) {
      throw new HandoffError('ROLLOUT_VARIANTS_INVALID', `rollout ${r.id} is a canary; it has no variants to choose from (promote without --variant)`, { variant: input.variant });
    }
    if (r.phase !== 'Paused') {
      throw new HandoffError('ROLLOUT_INVALID_PHASE', `rollout ${r.id} is ${r.phase}; promote continues a canary that is Paused`, { phase: r.phase });
    }
    const ps = canaryProgress(r);
    return { promotedAt: now, progressState: { ...ps, promotedStep: ps.step } };
  },
  hasRouted: (r) => r.switchedAt !== null,
  runningCheck: runningCanaryCheck,
  figures: (r) =>
    r.switchedAt === null
      ? null
      : { since: r.switchedAt, until: null, variants: [{ name: 'stable', build: r.fromBuild }, { name: 'canary', build: r.toBuild }] },
};

