import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allocation } from '../contract-support.js';
import { sqlitePath } from '../open.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { restoreBackup, takeBackup } from './backup.js';
import type { RestoreTarget } from './engine.js';
import { sqliteSource, sqliteTarget } from './sqlite.js';

describe('restore into a target that is slow to begin', () => {
  let dir = '';
  beforeEach(() => void (dir = mkdtempSync(path.join(tmpdir(), 'handoff-restore-slow-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every line of the backup, header included, however long the target takes to begin', async () => {
    mkdirSync(path.join(dir, 'live'));
    const store = SqliteStore.open(sqlitePath(path.join(dir, 'live')));
    for (let i = 1; i <= 20; i++) await store.commit(allocation(i));
    await store.close();
    const file = path.join(dir, 'backup.jsonl');
    await takeBackup(await sqliteSource(path.join(dir, 'live')), file, 1);

    mkdirSync(path.join(dir, 'restored'));
    await SqliteStore.open(sqlitePath(path.join(dir, 'restored'))).close();
    const real = await sqliteTarget(path.join(dir, 'restored'));
    // As a PostgreSQL BEGIN on a loaded network: the file must not be read past while waiting.
    const slow: RestoreTarget = { ...real, tables: () => real.tables(), isEmpty: (t) => real.isEmpty(t), insert: (t, r) => real.insert(t, r), commit: () => real.commit(), rollback: () => real.rollback(), close: () => real.close(), begin: async () => {
      await new Promise((r) => setTimeout(r, 200));
      await real.begin();
    } };
    try {
      const summary = await restoreBackup(file, slow);
      expect(summary.header.source).toBe('sqlite');
      expect(summary.rows.sessions).toBe(20);
    } finally {
      await real.close();
    }
  });
});
