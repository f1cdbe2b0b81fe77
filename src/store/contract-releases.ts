import { describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../release/model.js';
import type { RolloutSpec } from '../rollout/model.js';
import { sampleTime } from './fixtures.js';
import type { StateStore } from './port.js';

/** A release plan of two steps, the second gated and half done. */
export function sampleReleasePlan(overrides: Partial<ReleaseRecord> = {}): ReleaseRecord {
  const spec = { strategy: 'blue-green', autoPromote: true, smoke: null, drain: null, migration: null, oldIdleSeconds: null, readyTimeoutSeconds: 300, maxStartFailures: 3 } as RolloutSpec;
  return {
    name: 'season-3',
    spec: {
      name: 'season-3', failurePolicy: 'rollback', webhooks: [{ name: 'qa', url: 'http://127.0.0.1:9/qa', timeoutSeconds: 5 }],
      steps: [
        { name: 'payments', fleet: 'payments', build: 'pay-2', spec, after: [], gate: null },
        { name: 'world', fleet: 'world', build: 'world-2', spec, after: ['payments'], gate: { webhook: { name: 'qa' } } },
      ],
    },
    phase: 'Running', message: 'waiting at a gate: world', abortRequested: false, completionOrder: ['payments'],
    steps: [
      { name: 'payments', phase: 'Completed', message: '', gate: null, rolloutId: 'ro_1', fromBuild: 'pay-1', rollbackRolloutId: null, startedAt: sampleTime, completedAt: sampleTime + 10 },
      { name: 'world', phase: 'Gated', message: '', gate: { kind: 'webhook', state: 'checking', detail: '', at: sampleTime + 10 }, rolloutId: null, fromBuild: null, rollbackRolloutId: null, startedAt: null, completedAt: null },
    ],
    createdAt: sampleTime, updatedAt: sampleTime + 10, finishedAt: null, ...overrides,
  };
}

/** The release-plan part of the StateStore contract. `reopen` gives a new store over the same data. */
export function describeReleasePlanContract(current: () => StateStore, reopen: () => Promise<StateStore>): void {
  describe('release plans', () => {
    it('round-trips a release plan exactly and keeps it across a reopen', async () => {
      const plan = sampleReleasePlan();
      await current().commit([{ kind: 'putReleasePlan', release: plan }]);
      expect(await current().getReleasePlan(plan.name)).toEqual(plan);
      await current().close();
      expect(await (await reopen()).getReleasePlan(plan.name)).toEqual(plan);
    });

    it('returns undefined for a plan it has never stored', async () => {
      expect(await current().getReleasePlan('no-such-plan')).toBeUndefined();
    });

    it('replaces a plan stored under the same name, and moves it out of the active list when it ends', async () => {
      const store = current();
      await store.commit([{ kind: 'putReleasePlan', release: sampleReleasePlan() }]);
      const ended = sampleReleasePlan({ phase: 'Completed', finishedAt: sampleTime + 99 });
      await store.commit([{ kind: 'putReleasePlan', release: ended }]);
      expect(await store.listReleasePlans({ limit: 10 })).toEqual([ended]);
      expect(await store.listReleasePlans({ limit: 10, active: true })).toEqual([]);
    });

    it('lists plans newest first, within the limit, and running ones alone when asked', async () => {
      const store = current();
      const older = sampleReleasePlan({ name: 'a', createdAt: sampleTime, phase: 'Failed' });
      const newer = sampleReleasePlan({ name: 'b', createdAt: sampleTime + 5 });
      await store.commit([{ kind: 'putReleasePlan', release: older }, { kind: 'putReleasePlan', release: newer }]);
      expect((await store.listReleasePlans({ limit: 10 })).map((r) => r.name)).toEqual(['b', 'a']);
      expect((await store.listReleasePlans({ limit: 1 })).map((r) => r.name)).toEqual(['b']);
      expect((await store.listReleasePlans({ limit: 10, active: true })).map((r) => r.name)).toEqual(['b']);
    });

    it('leaves no plan behind when its batch fails', async () => {
      const bogus = { kind: 'nope' } as unknown as Parameters<StateStore['commit']>[0][number];
      await expect(current().commit([{ kind: 'putReleasePlan', release: sampleReleasePlan() }, bogus])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(await current().listReleasePlans({ limit: 10 })).toEqual([]);
    });
  });
}
