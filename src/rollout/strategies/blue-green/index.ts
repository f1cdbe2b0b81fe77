/**
 * Session-aware blue-green: bring up as many servers of the new build as the old one runs,
 * optionally smoke-check one and wait for `promote`, then switch every new session to the new
 * build at once while open sessions finish where they are (or migrate at an optional deadline).
 */
import { validateAnalysis } from '../../../analysis/spec.js';
import { HandoffError } from '../../../core/errors.js';
import type { BuildRole } from '../../../fleet/plan-fleet.js';
import type { Rollout, RolloutPhase } from '../../model.js';
import type { Strategy } from '../../strategy.js';
import { planBlueGreen, runningBlueGreenCheck } from './plan.js';
import { blueGreenOptions, type BlueGreenSpec } from './spec.js';

const PRE_SWITCH: ReadonlySet<RolloutPhase> = new Set(['Provisioning', 'Verifying', 'AwaitingPromotion']);

/**
 * How many servers of the new build a blue-green release brings up before the switch: as many
 * as the old build runs now, within the fleet's min and max, and at least one.
 */
export function previewTarget(capacity: { minServers: number; maxServers: number }, runningOld: number): number {
  return Math.min(capacity.maxServers, Math.max(1, capacity.minServers, runningOld));
}

export const blueGreen: Strategy<BlueGreenSpec> = {
  name: 'blue-green',
  summary: 'start the new build beside the old, switch every new session at once, let the old build empty',
  options: blueGreenOptions,
  validate(spec) {
    if (spec.analysis?.preSwitch) validateAnalysis(spec.analysis.preSwitch);
    if (spec.analysis?.postSwitch) validateAnalysis(spec.analysis.postSwitch);
    // `drain` is the older spelling of a time-triggered migration: one release says it once.
    if (spec.drain && spec.migration) {
      throw new HandoffError('VALIDATION_FAILED', 'give drain or migration, not both (drain is a migration after a time)', { fields: ['drain', 'migration'] });
    }
  },
  init: (spec, start) => ({
    phase: 'Provisioning',
    message: 'starting servers of the new build',
    targetServers: previewTarget(start.capacity, start.runningOld),
  }),
  plan: planBlueGreen,
  roles(r: Rollout & { spec: BlueGreenSpec }, fleetIdleSeconds: number): Map<string, BuildRole> {
    const roles = new Map<string, BuildRole>();
    if (PRE_SWITCH.has(r.phase)) {
      roles.set(r.toBuild, { role: 'preview', target: r.targetServers });
      return roles;
    }
    // The build leaving the fleet retires on the release's idle time, not the fleet's.
    const leaving = r.phase === 'Draining' || r.phase === 'Completed' ? r.fromBuild : r.toBuild;
    roles.set(leaving, { role: 'retiring', idleSeconds: r.spec.oldIdleSeconds ?? fleetIdleSeconds });
    return roles;
  },
  abortable: ['Provisioning', 'Verifying', 'AwaitingPromotion', 'Draining'],
  promote(r, _input, now) {
    if (r.phase !== 'AwaitingPromotion') {
      throw new HandoffError('ROLLOUT_INVALID_PHASE', `rollout ${r.id} is ${r.phase}; promote applies in AwaitingPromotion`, { phase: r.phase });
    }
    return { promotedAt: now };
  },
  hasRouted: (r) => r.switchedAt !== null,
  runningCheck: runningBlueGreenCheck,
};
