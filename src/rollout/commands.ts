/**
 * Operator commands on a rollout, as pure decisions. The service applies the result in one
 * commit, so `abort` re-routes new sessions within a single allocation.
 */
import { HandoffError } from '../core/errors.js';
import { isHeld, releaseHold } from './background.js';
import type { Rollout } from './model.js';
import { strategyOf } from './strategies/index.js';
import { emptyPlan, restoredRouting, type PromoteInput, type RolloutPlan, type RolloutServer } from './strategy.js';

/**
 * Abort: new sessions go back where they went before this release (the previous release's
 * routing, for back-to-back releases) on the very next allocation; this release's build keeps
 * its open sessions and retires once empty. Old servers told to drain are told it is off.
 */
export function planAbort(r: Rollout, servers: readonly RolloutServer[], now: number): RolloutPlan {
  const strategy = strategyOf(r);
  const { abortable } = strategy;
  if (!abortable.includes(r.phase)) {
    throw new HandoffError('ROLLOUT_INVALID_PHASE', `rollout ${r.id} is ${r.phase}; only ${abortable.join(', ')} can be aborted`, { phase: r.phase });
  }
  const routing = restoredRouting(r);
  const restored = new Set(routing.entries.filter((e) => e.weight > 0).map((e) => e.build));
  const notices =
    r.drainNoticeAt === null
      ? []
      : servers.filter((s) => restored.has(s.build)).map((s) => ({ serverId: s.id, notice: { type: 'drain-cancelled' as const, at: now } }));
  const back = [...restored].join(', ') || r.fromBuild;
  const own = strategy.onAbort?.(r, servers, now);
  return {
    ...emptyPlan(),
    patch: {
      phase: 'Aborted', abortedAt: now, message: `aborted: new sessions go to ${back}; ${r.toBuild} sessions finish, then its servers stop`,
      ...(own?.progressState ? { progressState: own.progressState } : {}),
    },
    routing,
    notices: [...notices, ...(own?.notices ?? [])],
  };
}

/**
 * A failed background analysis: the abort above (new sessions back on the next allocation,
 * drain notices called off, the new build's players finish), recorded as `Failed` with the
 * verdict as its message, as a failed analysis step is.
 */
export function planAnalysisFailure(r: Rollout, servers: readonly RolloutServer[], now: number, message: string): RolloutPlan {
  const plan = planAbort(r, servers, now);
  return { ...plan, patch: { ...plan.patch, phase: 'Failed', abortedAt: null, failedAt: now, message } };
}

/** `promote` on a release a background verdict holds ends the hold; otherwise it is the strategy's. */
export function planPromote(r: Rollout, input: PromoteInput, now: number): Partial<Rollout> {
  if (isHeld(r)) return releaseHold(r);
  return strategyOf(r).promote(r, input, now);
}
