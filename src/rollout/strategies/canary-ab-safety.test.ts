/**
 * Over random releases, fleets and times, the canary (on new servers or in place), A/B and
 * blue-green planners never close a session
 * that was not announced (a `migrate` only after a drain notice went out in an earlier pass),
 * and every routing table they emit is one the allocator accepts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routingIssues } from '../../allocation/decide-routing.js';
import { RolloutPhases, type Rollout } from '../model.js';
import type { RolloutServer } from '../strategy.js';
import type { AbTestSpec } from './ab-test/spec.js';
import type { BlueGreenSpec } from './blue-green/spec.js';
import type { CanarySpec } from './canary/spec.js';
import type { Cohort } from './cohort.js';
import { strategyFor } from './index.js';

const T0 = 1_000_000;
const drainArb = fc.option(fc.record({ deadlineSeconds: fc.integer({ min: 1, max: 600 }), noticeLeadSeconds: fc.integer({ min: 0, max: 600 }) }), { nil: null });
const cohortArb: fc.Arbitrary<Cohort | null> = fc.option(
  fc.array(fc.constantFrom('alice', 'bob'), { minLength: 1, maxLength: 2 }).map((players) => ({ players, attributes: {}, regions: [] })),
  { nil: null },
);
const limits = { oldIdleSeconds: null, readyTimeoutSeconds: 300, maxStartFailures: 3 };

const canaryArb = fc.record({ drain: drainArb, cohort: cohortArb, smoke: fc.constant(null), w: fc.integer({ min: 0, max: 100 }), inPlace: fc.boolean() }).map(
  ({ w, inPlace, ...rest }): CanarySpec => ({
    strategy: 'canary', steps: [{ setWeight: w }, { pause: { seconds: 30 } }, { analysis: { webhook: { url: 'http://x/', timeoutSeconds: 1 } } }, { setWeight: 100 }], ...rest, ...limits,
    ...(inPlace ? { servers: 'in-place' as const, inPlaceServers: 2 } : {}),
  }),
);
const blueGreenArb = fc.record({ drain: drainArb, autoPromote: fc.boolean() }).map(({ drain, autoPromote }): BlueGreenSpec => ({ strategy: 'blue-green', autoPromote, smoke: null, drain, ...limits }));
const abArb = fc.record({ drain: drainArb, cohort: cohortArb, w: fc.integer({ min: 1, max: 99 }) }).map(
  ({ w, drain, cohort }): AbTestSpec => ({
    strategy: 'ab-test', drain, ...limits,
    variants: [{ name: 'A', build: 'v1', weight: 100 - w, cohort: null }, { name: 'B', build: 'v2', weight: w, cohort }],
  }),
);

const serverArb = fc.record({
  id: fc.integer({ min: 0, max: 11 }).map((n) => `s${n}`),
  build: fc.constantFrom('v1', 'v2', 'v0'),
  state: fc.constantFrom('Starting', 'Ready', 'Active', 'Draining', 'Unhealthy'),
  used: fc.integer({ min: 0, max: 8 }),
}) as fc.Arbitrary<RolloutServer>;

const timeArb = fc.option(fc.integer({ min: T0, max: T0 + 1_000_000 }), { nil: null });

const rolloutArb = fc.record({
  spec: fc.oneof(canaryArb, abArb, blueGreenArb) as fc.Arbitrary<CanarySpec | AbTestSpec | BlueGreenSpec>,
  drained: fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 2 }),
  phase: fc.constantFrom(...RolloutPhases),
  step: fc.integer({ min: 0, max: 4 }),
  weight: fc.constantFrom(0, 20, 100),
  switchedAt: timeArb,
  drainNoticeAt: timeArb,
  migratedAt: timeArb,
  smoke: fc.option(fc.constantFrom('running', 'passed', 'failed'), { nil: null }),
  winner: fc.option(fc.constantFrom('v1', 'v2'), { nil: null }),
  startFailures: fc.integer({ min: 0, max: 4 }),
}).map((x): Rollout => ({
  id: 'ro_x', fleet: 'arena', fromBuild: 'v1', toBuild: 'v2', spec: x.spec, phase: x.phase, message: '', targetServers: 1,
  startFailures: x.startFailures, lastFailure: null,
  smoke: x.smoke === null ? null : { state: x.smoke, serverId: 'n1', startedAt: T0, finishedAt: null, detail: '' },
  progressState: {
    step: x.step, stepStartedAt: T0, weight: x.weight, weights: [{ weight: x.weight, at: T0 }], targets: { v2: 1 }, winner: x.winner, decidedAt: x.winner ? T0 : null,
    // An in-place canary's servers taken out of rotation (ids the server arbitrary may or may not produce).
    inPlace: { servers: 2, maxServers: 8, drained: x.drained.map((n) => `s${n}`), replaced: 0, oldCap: 4, canaryCap: 2, waitingSince: null },
  },
  previousRouting: { entries: [{ build: 'v1', weight: 100 }] },
  createdAt: T0, updatedAt: T0, readyAt: T0, promotedAt: null, switchedAt: x.switchedAt, drainNoticeAt: x.drainNoticeAt,
  migratedAt: x.migratedAt, completedAt: null, abortedAt: null, failedAt: null,
}));

describe('canary, A/B and blue-green planners', () => {
  it('close sessions only on servers of builds told to drain in an earlier pass, and emit only usable routing tables', () => {
    fc.assert(
      fc.property(rolloutArb, fc.uniqueArray(serverArb, { maxLength: 8, selector: (s) => s.id }), fc.integer({ min: T0 + 1_000_000, max: T0 + 3_000_000 }), (r, servers, now) => {
        const plan = strategyFor(r.spec).plan({ rollout: r, servers, now });
        const winner = r.spec.strategy === 'ab-test' ? (r.progressState?.winner ?? r.toBuild) : r.toBuild;
        if (plan.migrate.length > 0) {
          expect(r.drainNoticeAt, 'a drain notice went out before').not.toBeNull();
          expect(r.drainNoticeAt ?? Infinity).toBeLessThanOrEqual(now);
          expect(plan.notices, 'no notice in the same plan as the close').toEqual([]);
          for (const id of plan.migrate) expect(servers.find((s) => s.id === id)?.build).not.toBe(winner);
        }
        // Taking a server out of rotation (its players stay) is for the builds players are leaving.
        for (const { serverId } of plan.drainServers ?? []) expect(servers.find((s) => s.id === serverId)?.build).not.toBe(winner);
        if (plan.routing) expect(routingIssues(plan.routing)).toEqual([]);
      }),
      { numRuns: 2_000 },
    );
  });
});
