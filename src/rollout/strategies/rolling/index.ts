/**
 * Session-aware rolling release, for fleets with no spare capacity: batch by batch, old servers
 * leave rotation, empty as their players finish, and are replaced by servers of the new build
 * (see `plan.ts`). The roles keep the fleet's size: the old build keeps exactly the servers it
 * has in rotation, the new build grows only into the room emptied servers leave (plus `maxSurge`).
 */
import { HandoffError } from '../../../core/errors.js';
import type { BuildRole } from '../../../fleet/plan-fleet.js';
import type { Rollout, RolloutPhase } from '../../model.js';
import type { Strategy } from '../../strategy.js';
import { planRolling, runningRollingCheck } from './plan.js';
import { asState, initialProgress, progressOf } from './progress.js';
import { resolveBudget, rollingOptions, rollingSize, validateRolling, type RollingSpec } from './spec.js';

const RUNNING: ReadonlySet<RolloutPhase> = new Set(['Progressing', 'Verifying', 'Paused']);

export const rolling: Strategy<RollingSpec> = {
  name: 'rolling',
  summary: 'replace old servers batch by batch as they empty, within maxSurge and maxUnavailable (no spare capacity needed)',
  options: rollingOptions,
  validate: (spec) => validateRolling(spec),
  init(spec, start) {
    const size = rollingSize(start.capacity, start.runningOld);
    const budget = resolveBudget(spec, size);
    return {
      phase: 'Progressing',
      message: `batch 1/${budget.batches}: replacing ${budget.batchSize} of ${size} servers at a time`,
      targetServers: size,
      progressState: asState(initialProgress(budget, start.runningOld)),
    };
  },
  plan: planRolling,
  roles(r: Rollout & { spec: RollingSpec }): Map<string, BuildRole> {
    const roles = new Map<string, BuildRole>();
    if (RUNNING.has(r.phase)) {
      const p = progressOf(r);
      roles.set(r.fromBuild, { role: 'preview', target: p.oldTarget });
      roles.set(r.toBuild, { role: 'preview', target: p.newTarget });
    } else if (r.phase === 'Aborted' || r.phase === 'Failed') {
      // Its servers keep their sessions and stop once empty: they take no new ones any more.
      roles.set(r.toBuild, { role: 'retiring', idleSeconds: 0 });
    }
    return roles;
  },
  abortable: ['Progressing', 'Verifying', 'Paused'],
  promote(r, _input, now) {
    if (r.phase !== 'Paused') {
      throw new HandoffError('ROLLOUT_INVALID_PHASE', `rollout ${r.id} is ${r.phase}; promote resumes a Paused rolling release`, { phase: r.phase });
    }
    // Start failures before the resume are forgiven, and the batch gets a fresh ready timer.
    const progressState = asState({ ...progressOf(r), waitingSince: null, failureBase: r.startFailures });
    return { phase: 'Progressing', promotedAt: now, message: 'resumed by promote', progressState };
  },
  hasRouted: (r) => r.switchedAt !== null,
  runningCheck: runningRollingCheck,
};
