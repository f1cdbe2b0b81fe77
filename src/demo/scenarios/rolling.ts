/**
 * Rolling. No spare capacity (`maxSurge: 0`): one old server at a time
 * leaves rotation, empties as its players finish, and is replaced by a server of the new build.
 */
import { num, peakServers } from './figures.js';
import type { Scenario, TraceSample } from './types.js';

/**
 * Batches seen from outside: each time the count of old servers out of rotation (Draining) rises
 * from zero. Used when the rollout does not report its own batch count.
 */
export function batchesSeen(trace: readonly TraceSample[], oldBuild: string): number {
  let batches = 0;
  let previous = 0;
  for (const s of trace) {
    const draining = s.servers[oldBuild]?.['Draining'] ?? 0;
    if (draining > 0 && previous === 0) batches += 1;
    previous = draining;
  }
  return batches;
}

export function rollingScenario(): Scenario {
  return {
    strategy: 'rolling',
    landed: true,
    headline: 'rolling, maxSurge 0, maxUnavailable 1: each old server leaves rotation, empties, and is replaced',
    request: (env) => ({
      fleet: env.fleet, build: env.toBuild, strategy: 'rolling',
      maxSurge: 0, maxUnavailable: 1,
      smoke: { kind: 'http', port: 'game', path: '/healthz' },
      batchReadyTimeoutSeconds: 60,
      drain: { deadlineSeconds: 60, noticeLeadSeconds: 57 },
    }),
    // One batch per old server, each waiting for its players (up to the 60 s deadline) and a start.
    timeoutMs: () => 600_000,
    figures: ({ env, rollout, trace }) => {
      const reported = num(rollout, 'progressState', 'batches') ?? num(rollout, 'progressState', 'batchesCompleted');
      const batches = reported ?? batchesSeen(trace, env.fromBuild);
      const peak = peakServers(trace);
      const before = peakServers(trace.slice(0, 1));
      return [
        { key: 'batches', label: 'batches', value: batches, text: `${batches}${reported === null ? ' (seen from the fleet)' : ''}` },
        { key: 'peakServers', label: 'most servers at once', value: { peak, beforeRelease: before }, text: `${peak} (${before} before the release; maxSurge 0)` },
      ];
    },
  };
}
