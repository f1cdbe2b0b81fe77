/** Fixtures shared by the maintenance planner's table and property tests. */
import type { Rollout } from '../../model.js';
import type { RolloutPlan, RolloutServer } from '../../strategy.js';
import type { MaintenanceSpec } from './spec.js';
import { initialProgress, type MaintenanceProgress } from './window.js';

export const T0 = 1_800_000_000_000;
export const MIN = 60_000;

export type MaintenanceRollout = Rollout & { spec: MaintenanceSpec };

export const spec = (over: Partial<MaintenanceSpec> = {}): MaintenanceSpec => ({
  strategy: 'maintenance', startsAt: T0 + 10 * MIN, durationSeconds: 900, noticeLeadSeconds: 300,
  sessionDeadlineSeconds: 60, message: null, maxStartFailures: 3, ...over,
});

/** A maintenance release of fleet `arena` from v1 to v2, created at T0 on a fleet of at most `maxServers`. */
export function rollout(over: Partial<Omit<Rollout, 'spec'>> & { spec?: MaintenanceSpec } = {}, maxServers = 4): MaintenanceRollout {
  const s = over.spec ?? spec();
  return {
    id: 'ro_m', fleet: 'arena', fromBuild: 'v1', toBuild: 'v2', spec: s,
    phase: 'Scheduled', message: '', targetServers: 2, startFailures: 0, lastFailure: null, smoke: null,
    progressState: { ...initialProgress(s, { capacity: { minServers: 1, maxServers } }) },
    previousRouting: { entries: [{ build: 'v1', weight: 100 }] }, supersededBy: null,
    createdAt: T0, updatedAt: T0, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null,
    migratedAt: null, completedAt: null, abortedAt: null, failedAt: null, ...over,
  };
}

export const server = (id: string, build: string, state: RolloutServer['state'] = 'Ready', used = 0): RolloutServer => ({ id, build, state, used });

/** The rollout after a plan's patch, as the service would store it. */
export function after(r: MaintenanceRollout, plan: RolloutPlan): MaintenanceRollout {
  return { ...r, ...plan.patch } as MaintenanceRollout;
}

export function progress(r: Pick<Rollout, 'progressState'>): MaintenanceProgress {
  return r.progressState as unknown as MaintenanceProgress;
}
