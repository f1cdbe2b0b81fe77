/** Test helpers for the rolling strategy: a started release and one planner step at a time. */
import { planPromote } from '../../commands.js';
import type { Rollout } from '../../model.js';
import type { RolloutPlan, RolloutServer } from '../../strategy.js';
import { simulateRelease, type SimInput, type SimResult } from '../simulation.js';
import { rolling } from './index.js';
import { planRolling } from './plan.js';
import { progressOf, type RollingProgress } from './progress.js';
import type { RollingSpec } from './spec.js';

export const T0 = 5_000_000;
export type RollingRollout = Rollout & { spec: RollingSpec };

export function rollingSpec(over: Partial<RollingSpec> = {}): RollingSpec {
  return { strategy: 'rolling', maxSurge: 0, maxUnavailable: 1, smoke: null, batchReadyTimeoutSeconds: 60, maxStartFailures: 3, drain: null, ...over };
}

/** A rolling release of v1 → v2 just started on a fleet of `capacity` running `runningOld` v1 servers. */
export function startedRolling(
  over: Partial<RollingSpec> = {},
  capacity = { minServers: 2, maxServers: 2 },
  runningOld = capacity.maxServers,
): RollingRollout {
  const spec = rollingSpec(over);
  return {
    id: 'ro_1', fleet: 'arena', fromBuild: 'v1', toBuild: 'v2', spec, ...rolling.init(spec, { capacity, runningOld, fromBuild: 'v1' }, T0),
    startFailures: 0, lastFailure: null, smoke: null, previousRouting: { entries: [{ build: 'v1', weight: 100 }] }, supersededBy: null,
    createdAt: T0, updatedAt: T0, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null,
    migratedAt: null, completedAt: null, abortedAt: null, failedAt: null,
  };
}

export const srv = (id: string, build: string, state: RolloutServer['state'] = 'Ready', used = 0): RolloutServer => ({ id, build, state, used });

/** One planner step, and the release as the service leaves it after applying the plan. */
export function stepRolling(r: RollingRollout, servers: readonly RolloutServer[], now: number): { plan: RolloutPlan; next: RollingRollout; progress: RollingProgress } {
  const plan = planRolling({ rollout: r, servers, now });
  const next = { ...r, ...plan.patch, updatedAt: now } as RollingRollout;
  return { plan, next, progress: progressOf(next) };
}

/** An operator's `promote`, applied as the service applies it. */
export function promoted(r: RollingRollout, now: number): RollingRollout {
  return { ...r, ...planPromote(r, {}, now), updatedAt: now } as RollingRollout;
}

export type RollingSimInput = SimInput & { spec: Partial<RollingSpec> };

/** A rolling release of v1 → v2 run pass by pass with the real fleet planner (see `../simulation.ts`). */
export function simulateRolling(input: RollingSimInput, maxPasses?: number): SimResult<RollingRollout> {
  return simulateRelease(input, { strategy: rolling, start: (capacity, running) => startedRolling(input.spec, capacity, running) }, maxPasses);
}
