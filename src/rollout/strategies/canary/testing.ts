/** Test helpers for the in-place canary: a release of v1 → v2 just started on a fleet. */
import type { Rollout } from '../../model.js';
import { canary } from './index.js';
import type { CanarySpec } from './spec.js';

export const T0 = 5_000_000;
export type CanaryRollout = Rollout & { spec: CanarySpec };

/** Steps to two weights, each held a moment, then 100 %; in place with `servers` old servers replaced. */
export function inPlaceSpec(servers: number | string, weights: [number, number] = [25, 50], over: Partial<CanarySpec> = {}): CanarySpec {
  return {
    strategy: 'canary',
    steps: [{ setWeight: weights[0] }, { pause: { seconds: 5 } }, { setWeight: weights[1] }, { pause: {} }, { setWeight: 100 }],
    cohort: null, smoke: null, drain: null, oldIdleSeconds: 0, readyTimeoutSeconds: 30, maxStartFailures: 10,
    servers: 'in-place', inPlaceServers: servers, ...over,
  };
}

export function startedInPlace(
  servers: number | string,
  weights: [number, number] = [25, 50],
  capacity = { minServers: 2, maxServers: 4 },
  runningOld = capacity.maxServers,
  over: Partial<CanarySpec> = {},
): CanaryRollout {
  const spec = inPlaceSpec(servers, weights, over);
  return {
    id: 'ro_1', fleet: 'arena', fromBuild: 'v1', toBuild: 'v2', spec, ...canary.init(spec, { capacity, runningOld, fromBuild: 'v1' }, T0),
    startFailures: 0, lastFailure: null, smoke: null, previousRouting: { entries: [{ build: 'v1', weight: 100 }] }, supersededBy: null,
    createdAt: T0, updatedAt: T0, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null,
    migratedAt: null, completedAt: null, abortedAt: null, failedAt: null,
  };
}
