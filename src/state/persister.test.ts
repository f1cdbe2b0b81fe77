import { describe, expect, it } from 'vitest';
import type { Mutation, StateStore } from '../store/port.js';
import { sampleBuild } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { Persister } from './persister.js';

/** A real SQLite store that also records the size of every commit it receives. */
function countingStore(): { store: StateStore; batches: number[] } {
  const inner = SqliteStore.open(':memory:');
  const batches: number[] = [];
  const store = Object.assign(Object.create(inner) as StateStore, {
    commit: (m: readonly Mutation[]) => {
      batches.push(m.length);
      return inner.commit(m);
    },
  });
  return { store, batches };
}

/**
 * A real SQLite store whose commits wait, truly asynchronously, until the test opens the gate;
 * only then is the batch written and the commit resolved. `committed` lists the written batches.
 */
function gatedStore() {
  const inner = SqliteStore.open(':memory:');
  const committed: string[][] = [];
  const queued: (() => void)[] = [];
  let opened = false;
  const gate = {
    waiting: () => queued.length,
    open: () => {
      opened = true;
      for (const go of queued.splice(0)) go();
    },
  };
  const store = Object.assign(Object.create(inner) as StateStore, {
    commit: async (m: readonly Mutation[]) => {
      if (!opened) await new Promise<void>((r) => queued.push(r));
      committed.push(m.map((x) => (x.kind === 'putBuild' ? x.build.id : x.kind)));
      return inner.commit(m);
    },
  });
  return { store, gate, committed };
}

const put = (id: string): Mutation => ({ kind: 'putBuild', build: sampleBuild({ id }) });

describe('Persister (group commit)', () => {
  it('writes everything handed in during one tick in a single transaction', async () => {
    const { store, batches } = countingStore();
    const p = new Persister(store);
    await Promise.all(Array.from({ length: 50 }, (_, i) => p.persist([put(`b${i}`)])));
    expect(batches).toEqual([50]);
    expect(await store.listBuilds({ limit: 100 })).toHaveLength(50);
  });

  it('resolves a caller only after its mutations are durable', async () => {
    // The fake's commit writes only when the test lets it, many ticks later, as a disk would:
    // a persister that resolved callers when it handed the batch over would be caught here.
    const { store, gate, committed } = gatedStore();
    const p = new Persister(store);
    let resolved = false;
    const done = p.persist([put('x')]).then(() => (resolved = true));
    for (let tick = 0; tick < 10; tick++) await new Promise((r) => setImmediate(r));
    expect(gate.waiting()).toBe(1);
    expect(resolved).toBe(false);
    gate.open();
    await done;
    expect(committed).toEqual([['x']]);
    expect(await store.getBuild('x')).toBeDefined();
  });

  it('commits later ticks in order after earlier ones', async () => {
    const { store, batches } = countingStore();
    const p = new Persister(store);
    const first = p.persist([put('a'), put('b')]);
    await new Promise((r) => setImmediate(r));
    const second = p.persist([put('c')]);
    await Promise.all([first, second]);
    expect(batches).toEqual([2, 1]);
  });

  it('gathers everything handed in while a commit waits for the disk into the next batch', async () => {
    const { store, batches } = countingStore();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow = Object.assign(Object.create(store) as StateStore, {
      commit: async (m: readonly Mutation[]) => {
        if (batches.length === 0) await gate;
        return store.commit(m);
      },
    });
    const p = new Persister(slow);
    const first = p.persist([put('a')]);
    const later: Promise<void>[] = [];
    for (let tick = 0; tick < 5; tick++) {
      await new Promise((r) => setImmediate(r));
      later.push(p.persist([put(`b${tick}`)]));
    }
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([1, 5]);
  });

  it('rejects every caller of a failed batch with STORE_UNAVAILABLE and reports the failure', async () => {
    const { store } = countingStore();
    const failures: unknown[] = [];
    const p = new Persister(store, { onFailure: (e) => failures.push(e) });
    const bad = { kind: 'nonsense' } as unknown as Mutation;
    const results = await Promise.allSettled([p.persist([put('ok')]), p.persist([bad])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(failures).toHaveLength(1);
    expect(await store.getBuild('ok')).toBeUndefined();
  });

  it('refuses every change after a failed commit, so memory never runs further ahead of the store', async () => {
    const { store } = countingStore();
    const p = new Persister(store);
    await p.persist([{ kind: 'nonsense' } as unknown as Mutation]).catch(() => undefined);
    await expect(p.persist([put('later')])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(await store.getBuild('later')).toBeUndefined();
  });

  it('lets a reader wait until everything handed in so far is durable', async () => {
    const { store } = countingStore();
    const p = new Persister(store);
    void p.persist([put('late')]);
    await p.drain();
    expect(await store.getBuild('late')).toBeDefined();
  });
});
