/**
 * Operator commands on a rollout, as pure decisions. The service applies the result in one
 * commit, so `abort` re-routes new sessions to the old build within a single allocation.
 */
import { HandoffError } from '../core/errors.js';
import type { Rollout, RolloutPhase } from './model.js';
import { rolledBackRouting, type RolloutPlan, type RolloutServer } from './plan-blue-green.js';

const ABORTABLE: readonly RolloutPhase[] = ['Provisioning', 'Verifying', 'AwaitingPromotion', 'Draining'];

export function planAbort(r: Rollout, servers: readonly RolloutServer[], now: number): RolloutPlan {
  if (!ABORTABLE.includes(r.phase)) {
    throw new HandoffError('ROLLOUT_INVALID_PHASE', `rollout ${r.id} is ${r.phase}; only ${ABORTABLE.join(', ')} can be aborted`, { phase: r.phase });
  }
  const notices =
    r.drainNoticeAt === null
      ? []
      : servers.filter((s) => s.build === r.fromBuild).map((s) => ({ serverId: s.id, notice: { type: 'drain-cancelled' as const, at: now } }));
  return {
    patch: { phase: 'Aborted', abortedAt: now, message: `aborted: new sessions go to ${r.fromBuild}; ${r.toBuild} sessions finish, then its servers stop` },
    routing: rolledBackRouting(r),
    smokeOn: null,
    notices,
    migrate: [],
    completeFleetWith: null,
  };
}

export function planPromote(r: Rollout, now: number): Partial<Rollout> {
  if (r.phase !== 'AwaitingPromotion') {
    throw new HandoffError('ROLLOUT_INVALID_PHASE', `rollout ${r.id} is ${r.phase}; promote applies in AwaitingPromotion`, { phase: r.phase });
  }
  return { promotedAt: now };
}
