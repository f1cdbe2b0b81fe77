import { beforeEach, describe, expect, it } from 'vitest';
import type { Environment, EnvSnapshot } from '../environment/model.js';
import type { Delivery, Webhook } from '../notify/model.js';
import { sampleTime } from './fixtures.js';
import type { StateStore } from './port.js';

/**
 * The environment and notification records of the StateStore contract: environments and their
 * numbered snapshots, webhooks, and the delivery outbox. Called by `describeStateStoreContract`.
 */
export function describeEnvironmentContract(current: () => StateStore, reopen: () => Promise<StateStore>): void {
  let store: StateStore;
  beforeEach(() => {
    store = current();
  });

  describe('environments and notifications', () => {
    it('round-trips environments, snapshots and webhooks, and upserts them', async () => {
      await store.commit([
        { kind: 'putEnvironment', environment: sampleEnv('staging') },
        { kind: 'putEnvironment', environment: sampleEnv('production') },
        { kind: 'putEnvSnapshot', snapshot: sampleSnap('production', 1) },
        { kind: 'putEnvSnapshot', snapshot: sampleSnap('production', 2) },
        { kind: 'putEnvSnapshot', snapshot: sampleSnap('staging', 1) },
        { kind: 'putWebhook', webhook: sampleHook('ops') },
      ]);
      await store.commit([{ kind: 'putEnvironment', environment: { ...sampleEnv('production'), live: 'green' } }]);
      expect((await store.listEnvironments()).map((e) => [e.name, e.live])).toEqual([['production', 'green'], ['staging', 'blue']]);
      expect((await store.listEnvSnapshots({ environment: 'production', limit: 10 })).map((s) => s.number)).toEqual([2, 1]);
      expect(await store.getEnvSnapshot('staging', 1)).toEqual(sampleSnap('staging', 1));
      expect(await store.getEnvSnapshot('staging', 2)).toBeUndefined();
      expect(await store.listWebhooks()).toEqual([sampleHook('ops')]);
    });

    it('deletes a webhook and keeps its delivery log', async () => {
      await store.commit([{ kind: 'putWebhook', webhook: sampleHook('ops') }, { kind: 'putDelivery', delivery: sampleDelivery('ops', 1) }]);
      await store.commit([{ kind: 'deleteWebhook', name: 'ops' }]);
      expect(await store.listWebhooks()).toEqual([]);
      expect(await store.listDeliveries({ webhook: 'ops', limit: 10 })).toEqual([sampleDelivery('ops', 1)]);
    });

    it('lists pending deliveries soonest first, and drops one from the outbox once delivered', async () => {
      await store.commit([
        { kind: 'putDelivery', delivery: sampleDelivery('ops', 1, { nextAttemptAt: sampleTime + 3_000 }) },
        { kind: 'putDelivery', delivery: sampleDelivery('ops', 2, { nextAttemptAt: sampleTime + 1_000 }) },
        { kind: 'putDelivery', delivery: sampleDelivery('chat', 3, { nextAttemptAt: sampleTime + 2_000 }) },
      ]);
      expect((await store.listDeliveries({ pending: true, limit: 10 })).map((d) => d.id)).toEqual(['ops:2', 'chat:3', 'ops:1']);
      await store.commit([{ kind: 'putDelivery', delivery: sampleDelivery('ops', 2, { state: 'delivered', nextAttemptAt: null, deliveredAt: sampleTime + 1_100 }) }]);
      expect((await store.listDeliveries({ pending: true, limit: 10 })).map((d) => d.id)).toEqual(['chat:3', 'ops:1']);
      expect((await store.listDeliveries({ webhook: 'ops', limit: 10 })).map((d) => [d.id, d.state])).toEqual([['ops:2', 'delivered'], ['ops:1', 'pending']]);
    });

    it('keeps every record across close and reopen', async () => {
      await store.commit([
        { kind: 'putEnvironment', environment: sampleEnv('production') },
        { kind: 'putEnvSnapshot', snapshot: sampleSnap('production', 1) },
        { kind: 'putWebhook', webhook: sampleHook('ops') },
        { kind: 'putDelivery', delivery: sampleDelivery('ops', 1) },
      ]);
      await store.close();
      const reopened = await reopen();
      store = reopened;
      expect(await reopened.listEnvironments()).toEqual([sampleEnv('production')]);
      expect(await reopened.getEnvSnapshot('production', 1)).toEqual(sampleSnap('production', 1));
      expect(await reopened.listWebhooks()).toEqual([sampleHook('ops')]);
      expect(await reopened.listDeliveries({ pending: true, limit: 10 })).toEqual([sampleDelivery('ops', 1)]);
    });
  });
}

function sampleEnv(name: string): Environment {
  const slot = { build: 'bld_1', warmServers: 0, stagedAt: null, boundAt: sampleTime };
  return {
    name, fleets: [`${name}-arena`], live: 'blue', slots: { blue: slot, green: { ...slot, warmServers: 2 } }, lastSnapshot: 0,
    restoring: null, next: null, history: [{ at: sampleTime, action: 'created', slot: 'blue', build: 'bld_1', detail: 'created' }],
    createdAt: sampleTime, updatedAt: sampleTime,
  };
}

function sampleSnap(environment: string, number: number): EnvSnapshot {
  const slot = { build: 'bld_1', warmServers: 0, stagedAt: null, boundAt: sampleTime };
  return {
    environment, number, takenAt: sampleTime + number, reason: 'manual', live: 'blue', slots: { blue: slot, green: slot },
    fleets: [{ name: 'arena', currentBuild: 'bld_1', routing: { entries: [{ build: 'bld_1', weight: 100 }] }, capacity: { minServers: 1, maxServers: 2, bufferServers: 0, idleTimeoutSeconds: 600 } }],
    builds: ['bld_1'],
  };
}

function sampleHook(name: string): Webhook {
  return { name, url: 'http://127.0.0.1:9/hook', events: ['completed'], secret: 's3cret', format: 'json', createdAt: sampleTime, updatedAt: sampleTime };
}

function sampleDelivery(webhook: string, seq: number, over: Partial<Delivery> = {}): Delivery {
  return {
    id: `${webhook}:${seq}`, webhook, event: 'completed', seq, fleet: 'arena', subject: 'ro_1', body: '{}', state: 'pending',
    attempts: [], nextAttemptAt: sampleTime, createdAt: sampleTime + seq, deliveredAt: null, ...over,
  };
}
