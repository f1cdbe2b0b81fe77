/**
 * What a resolved commit promises: it survives kill -9 *and power loss*. A kill test cannot
 * check the second half (the page cache outlives the process), so these tests watch the
 * mechanism itself: the settings of the store's connection, and the WAL fsync every commit
 * waits for.
 */
import { chmodSync, fstatSync, fsync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleBuild } from '../fixtures.js';
import { SqliteStore } from './sqlite-store.js';
import type { Fsync } from './wal-sync.js';

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** An fsync that waits for the test: `release()` runs the real fsync of every pending call. */
function heldFsync() {
  const calls: { fd: number; done: (e: NodeJS.ErrnoException | null) => void }[] = [];
  const spy: Fsync = (fd, done) => void calls.push({ fd, done });
  const release = () => {
    for (const c of calls.splice(0)) fsync(c.fd, c.done);
  };
  return { spy, calls, release };
}

describe('SqliteStore durability', () => {
  let dir: string;
  let path: string;
  const opened: SqliteStore[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'handoff-durable-'));
    path = join(dir, 'state.db');
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  const open = (fsyncFile?: Fsync) => {
    const store = SqliteStore.open(path, fsyncFile ? { fsync: fsyncFile } : {});
    opened.push(store);
    return store;
  };

  it('runs its connection in WAL mode with synchronous=NORMAL and a busy timeout', () => {
    // NORMAL, not OFF: in WAL mode NORMAL still syncs the WAL before a checkpoint copies it into
    // the database and the database before the WAL is reused; OFF would lose checkpointed
    // commits on power loss even though each commit's WAL frames were fsynced. Not FULL either:
    // the store fsyncs the WAL itself, off the event loop (see WalSync).
    expect(open().durability()).toEqual({ journalMode: 'wal', synchronous: 'NORMAL', busyTimeoutMs: 5000 });
  });

  it('resolves a commit only once the WAL file holding it has been fsynced', async () => {
    const fs = heldFsync();
    const store = open(fs.spy);
    let resolved = false;
    const commit = store.commit([{ kind: 'putBuild', build: sampleBuild() }]).then(() => (resolved = true));
    await ticks(20);

    // The sync asked for is of the WAL file, after the transaction wrote it: another connection
    // already reads the build. The commit is not acknowledged while that sync is outstanding.
    expect(fs.calls).toHaveLength(1);
    expect(fstatSync(fs.calls[0]?.fd ?? -1).ino).toBe(statSync(`${path}-wal`).ino);
    const reader = new Database(path, { readonly: true });
    try {
      expect(reader.prepare('SELECT id FROM builds').pluck().all()).toEqual(['bld_1']);
    } finally {
      reader.close();
    }
    expect(resolved).toBe(false);

    fs.release();
    await commit;
    expect(resolved).toBe(true);
  });

  it('fsyncs once per commit, so every acknowledged batch is on disk', async () => {
    const fs = heldFsync();
    const store = open(fs.spy);
    for (const id of ['a', 'b', 'c']) {
      const commit = store.commit([{ kind: 'putBuild', build: sampleBuild({ id }) }]);
      await ticks(5);
      expect(fs.calls).toHaveLength(1);
      fs.release();
      await commit;
    }
  });

  it('refuses a commit whose WAL sync fails with STORE_UNAVAILABLE: its outcome is unknown', async () => {
    const store = open((_fd, done) => done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })));
    await expect(store.commit([{ kind: 'putBuild', build: sampleBuild() }])).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      details: { cause: 'EIO: i/o error, fsync' },
    });
  });

  describe('files', () => {
    const mode = (f: string) => statSync(f).mode & 0o777;
    const files = () => [path, `${path}-wal`, `${path}-shm`];

    it('creates the database, its WAL and its shared-memory file 0600 whatever the umask: they hold secrets', async () => {
      const umask = process.umask(0);
      try {
        await open().commit([{ kind: 'putBuild', build: sampleBuild() }]);
      } finally {
        process.umask(umask);
      }
      expect(files().map(mode)).toEqual([0o600, 0o600, 0o600]);
    });

    it('tightens the files an older version left world-readable when it opens them', async () => {
      await open().commit([{ kind: 'putBuild', build: sampleBuild() }]);
      for (const f of files()) chmodSync(f, 0o644);
      open();
      expect(files().map(mode)).toEqual([0o600, 0o600, 0o600]);
    });
  });
});
