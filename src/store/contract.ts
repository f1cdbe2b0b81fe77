import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeQueryContract } from './contract-queries.js';
import { describeEnvironmentContract } from './contract-environments.js';
import { describeHostContract } from './contract-hosts.js';
import { describeRetentionContract } from './contract-retention.js';
import { allocation, append, everyKind, expectEmpty, sorted } from './contract-support.js';
import { describeReleasePlanContract } from './contract-releases.js';
import { sampleBuild, sampleEvent, sampleIdempotency, sampleServer, sampleTime } from './fixtures.js';
import type { Mutation, StateStore } from './port.js';

/** What an adapter's test hands the contract for each test. */
export interface ContractHarness {
  /** A fresh, empty store. */
  store: StateStore;
  /** Opens a new store over the same data. The suite has already closed the previous one. */
  reopen: () => Promise<StateStore>;
  /** Closes whatever is still open (it may already be closed) and removes the data. */
  cleanup: () => Promise<void>;
}

/**
 * The StateStore contract. Every adapter's test calls this once, so SQLite and PostgreSQL are
 * held to the same behaviour:
 *
 *   describeStateStoreContract('sqlite', async () => { … return { store, reopen, cleanup }; });
 */
export function describeStateStoreContract(
  adapterName: string,
  factory: () => Promise<ContractHarness>,
): void {
  describe(`StateStore contract: ${adapterName}`, () => {
    let harness: ContractHarness;
    let store: StateStore;

    beforeEach(async () => {
      harness = await factory();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    describe('commit and read back', () => {
      it('round-trips every record kind exactly', async () => {
        const all = everyKind();
        await store.commit(all.mutations);

        expect(await store.getBuild(all.build.id)).toEqual(all.build);
        expect(await store.getFleet(all.fleet.name)).toEqual(all.fleet);
        expect(await store.getServer(all.server.id)).toEqual(all.server);
        expect(await store.getSession(all.session.id)).toEqual(all.session);
        expect(await store.getRollout(all.rollout.id)).toEqual(all.rollout);
        expect(sorted(await store.load(sampleTime))).toEqual(all.snapshot);
        expect(await store.listEvents({ limit: 10 })).toEqual([{ ...all.event, seq: expect.any(Number) }]);
      });

      it('returns undefined for ids it has never stored', async () => {
        await store.commit(everyKind().mutations);
        expect(await store.getBuild('bld_missing')).toBeUndefined();
        expect(await store.getFleet('no-such-fleet')).toBeUndefined();
        expect(await store.getServer('srv_missing')).toBeUndefined();
        expect(await store.getSession('ses_missing')).toBeUndefined();
        expect(await store.getRollout('ro_missing')).toBeUndefined();
      });

      it('loads an empty snapshot from an empty store', async () => {
        await expectEmpty(store);
      });

      it('accepts an empty batch', async () => {
        await expect(store.commit([])).resolves.toBeUndefined();
      });

      it('replaces a whole document when a put reuses its id', async () => {
        await store.commit([
          { kind: 'putServer', server: sampleServer({ state: 'Ready', pid: 1 }) },
          { kind: 'putMeta', key: 'cluster', value: 'a' },
          { kind: 'putIdempotency', record: sampleIdempotency({ response: { first: true } }) },
        ]);
        const draining = sampleServer({ state: 'Draining', pid: null, drainReason: 'release' });
        await store.commit([
          { kind: 'putServer', server: draining },
          { kind: 'putMeta', key: 'cluster', value: 'b' },
          { kind: 'putIdempotency', record: sampleIdempotency({ response: { second: true } }) },
        ]);

        expect(await store.getServer(draining.id)).toEqual(draining);
        expect(await store.listServers({ limit: 10 })).toEqual([draining]);
        const snapshot = await store.load(sampleTime);
        expect(snapshot.meta).toEqual({ cluster: 'b' });
        expect(snapshot.idempotency.map((r) => r.response)).toEqual([{ second: true }]);
      });

      it('leaves nothing behind when a batch ends with an unknown mutation kind', async () => {
        const bogus = { kind: 'dropEverything' } as unknown as Mutation;
        await expect(store.commit([...everyKind().mutations, bogus])).rejects.toMatchObject({
          code: 'STORE_UNAVAILABLE',
        });
        await expectEmpty(store);
      });

      it('leaves nothing behind when a document in the batch cannot be stored', async () => {
        // A BigInt has no JSON form, so this fails while the earlier mutations are already applied.
        const unstorable = sampleEvent({ data: { n: 1n } });
        await expect(
          store.commit([...everyKind().mutations, { kind: 'appendEvent', event: unstorable }]),
        ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
        await expectEmpty(store);
      });

      it('keeps earlier commits when a later batch fails', async () => {
        await store.commit([{ kind: 'putBuild', build: sampleBuild() }]);
        const bogus = { kind: 'nope' } as unknown as Mutation;
        await expect(
          store.commit([{ kind: 'putBuild', build: sampleBuild({ id: 'bld_2' }) }, bogus]),
        ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
        expect((await store.listBuilds({ limit: 10 })).map((b) => b.id)).toEqual(['bld_1']);
      });

      it('rejects a commit after close as STORE_UNAVAILABLE', async () => {
        await store.close();
        await expect(store.commit([{ kind: 'putBuild', build: sampleBuild() }])).rejects.toMatchObject({
          code: 'STORE_UNAVAILABLE',
        });
      });
    });

    describeQueryContract(() => store);
    describeReleasePlanContract(() => store, () => harness.reopen());
    describeEnvironmentContract(() => store, () => harness.reopen());
    describeRetentionContract(() => store);
    describeHostContract(() => store, () => harness.reopen());

    describe('durability and concurrency', () => {
      it('keeps every record across close and reopen', async () => {
        const all = everyKind();
        await store.commit(all.mutations);
        const before = await store.listEvents({ limit: 10 });
        await store.close();

        const reopened = await harness.reopen();
        expect(sorted(await reopened.load(sampleTime))).toEqual(all.snapshot);
        expect(await reopened.getServer(all.server.id)).toEqual(all.server);
        expect(await reopened.listEvents({ limit: 10 })).toEqual(before);
        await reopened.commit([append(sampleEvent({ subject: 'after-reopen' }))]);
        const after = await reopened.listEvents({ limit: 10 });
        expect(after.at(-1)?.seq).toBeGreaterThan(before.at(-1)?.seq ?? Infinity);
      });

      it('lands all of 200 concurrent commits', async () => {
        await Promise.all(Array.from({ length: 200 }, (_, i) => store.commit(allocation(i))));
        expect(await store.listSessions({ limit: 1_000 })).toHaveLength(200);
        expect((await store.load(sampleTime)).idempotency).toHaveLength(200);
        const seqs = (await store.listEvents({ limit: 1_000 })).map((e) => e.seq);
        expect(new Set(seqs).size).toBe(200);
      });

      it('lands a group commit of 200 allocations in one batch', async () => {
        await store.commit(Array.from({ length: 200 }, (_, i) => allocation(i)).flat());
        expect((await store.load(sampleTime)).openSessions).toHaveLength(200);
        expect(await store.listEvents({ limit: 1_000 })).toHaveLength(200);
      });
    });
  });
}
