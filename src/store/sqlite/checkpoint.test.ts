import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleEvent } from '../fixtures.js';
import type { Mutation } from '../port.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

/** ~2 KiB per event, so a few thousand commits write several MiB of WAL. */
const padding = 'x'.repeat(2_000);
const batch = (n: number): Mutation[] => [{ kind: 'appendEvent', event: sampleEvent({ subject: `e${n}`, data: { padding } }) }];
const walSize = (path: string): number => {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
};

describe('WAL checkpoints off the event loop', () => {
  let dir: string;
  let path: string;
  const opened: SqliteStore[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'handoff-wal-'));
    path = join(dir, 'state.db');
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  const open = (checkpoint: SqliteStoreOptions['checkpoint']) => {
    const store = SqliteStore.open(path, { checkpoint });
    opened.push(store);
    return store;
  };

  it('turns SQLite automatic checkpoint off on the store connection', async () => {
    const store = open(false);
    await store.commit(batch(0));
    // A second connection sees its own default, so the setting is read through the store's WAL:
    // with auto-checkpoint on, 300 commits (~20 KiB of WAL each) would have rewound the WAL at ~4 MiB.
    for (let n = 1; n < 300; n++) await store.commit(batch(n));
    expect(walSize(path)).toBeGreaterThan(4 * 1024 * 1024);
  });

  it('keeps the WAL bounded under a thousand commits', async () => {
    const maxWalBytes = 128 * 1024;
    // The timer never fires here: the test runs the checkpointer's tick itself every 10 commits,
    // so the bound does not depend on how loaded the machine is.
    const store = open({ intervalMs: 3_600_000, maxWalBytes, idleAfterMs: 3_600_000 });
    let largest = 0;
    for (let n = 0; n < 1_000; n++) {
      await store.commit(batch(n));
      largest = Math.max(largest, walSize(path));
      if (n % 10 === 9) await store.walCheckpointer()?.tick();
    }
    // Without checkpoints these commits leave a WAL of tens of MiB (see the test above); with
    // them it never passes maxWalBytes by more than the 10 commits (~200 KiB) between two looks.
    expect(largest).toBeLessThan(maxWalBytes + 512 * 1024);
    expect((await store.listEvents({ limit: 10_000 })).length).toBe(1_000);
  });

  it('rewinds a full WAL without shrinking it, so the next commits overwrite it instead of growing a new file', async () => {
    const maxWalBytes = 256 * 1024;
    const store = open({ intervalMs: 3_600_000, maxWalBytes, idleAfterMs: 3_600_000 });
    const checkpointer = store.walCheckpointer();
    let n = 0;
    while (walSize(path) < maxWalBytes) await store.commit(batch(n++));
    // The first look copies the frames and counts them; the next rewinds the WAL.
    expect(await checkpointer?.tick()).toBe('passive');
    expect(await checkpointer?.tick()).toBe('restart');
    const full = walSize(path);
    expect(full).toBeGreaterThanOrEqual(maxWalBytes);
    // The next commit starts again at the beginning of the same file: it keeps its size.
    await store.commit(batch(n++));
    expect(walSize(path)).toBe(full);
    expect(await checkpointer?.tick()).toBe('passive');
    expect((await store.listEvents({ limit: 10_000 })).length).toBe(n);
  });

  it('truncates the WAL to nothing once writes are quiet', async () => {
    const store = open({ intervalMs: 5, idleAfterMs: 20 });
    for (let n = 0; n < 50; n++) await store.commit(batch(n));
    expect(walSize(path)).toBeGreaterThan(0);
    await expect.poll(() => walSize(path), { timeout: 10_000, interval: 10 }).toBe(0);
    // Everything the WAL held is in the database file now.
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(50);
    } finally {
      db.close();
    }
  });

  it('lets a writer through while a truncating checkpoint waits for a reader, instead of holding it for 5 s', async () => {
    const store = open({ intervalMs: 3_600_000, maxWalBytes: 2 ** 40, idleAfterMs: 3_600_000, truncateWaitMs: 200 });
    for (let n = 0; n < 20; n++) await store.commit(batch(n));
    // A reader pinned on an old snapshot: a TRUNCATE cannot rewind the WAL past it, and waits.
    const reader = new Database(path);
    const writer = new Database(path);
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT COUNT(*) FROM events').pluck().get();
      await store.commit(batch(20));
      const truncating = store.walCheckpointer()?.run('TRUNCATE');
      // Give the worker time to be inside its wait (holding the write lock). On a machine too
      // loaded for that the write below goes first and the test passes without proving anything.
      await new Promise((r) => setTimeout(r, 400));
      // 2 s is less than the 5 s a TRUNCATE used to wait for the reader with writers held back.
      writer.pragma('busy_timeout = 2000');
      expect(() => writer.prepare("INSERT INTO meta (key, value) VALUES ('probe', 'x')").run()).not.toThrow();
      // It gave up on the reader (busy) rather than wait for it.
      expect((await truncating)?.busy).toBe(1);
    } finally {
      reader.exec('ROLLBACK');
      reader.close();
      writer.close();
    }
  });
});
