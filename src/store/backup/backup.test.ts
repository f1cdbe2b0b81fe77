import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describePg, dropDatabase, freshDatabase } from '../../../test/support/postgres.js';
import { allocation } from '../contract-support.js';
import { openStore, sqlitePath } from '../open.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { runBackupCli } from './cli.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const loadScript = fileURLToPath(new URL('./testdata/load.ts', import.meta.url));

let dir = '';
beforeAll(() => void (dir = mkdtempSync(path.join(tmpdir(), 'handoff-backup-test-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The SQLite store of data directory `name` under the test's directory. */
function sqliteAt(name: string): SqliteStore {
  mkdirSync(path.join(dir, name), { recursive: true });
  return SqliteStore.open(sqlitePath(path.join(dir, name)));
}

/** Runs the CLI in-process; its exit code and what it printed. */
async function cli(command: 'backup' | 'restore', args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runBackupCli(command, args, { out: (l) => void (out += `${l}\n`), err: (l) => void (err += `${l}\n`) }, dir);
  return { code, out, err };
}

/** A writer in another process, committing allocations as a control plane under load does. */
class Load {
  acked = 0;
  private readonly child: ChildProcess;
  private readonly closed: Promise<void>;

  constructor(where: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', loadScript, where], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    this.closed = new Promise((resolve) => this.child.on('close', () => resolve()));
    let pending = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) this.acked = Number(/^acked (\d+)$/.exec(line)?.[1] ?? this.acked);
    });
  }

  async reach(n: number): Promise<void> {
    while (this.acked < n) {
      if (this.child.exitCode !== null) throw new Error(`the load exited after ${this.acked} commits`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.closed;
  }
}

/**
 * Backs `source` up while the load commits, restores the file into `target`, and checks the
 * restored store is one instant of the source: as many sessions as events as the count in
 * meta (each commit wrote one of each), between what was acknowledged before and after.
 */
async function backupUnderLoad(source: string[], loadAt: string, target: string[]): Promise<void> {
  const file = path.join(dir, `backup-${Math.random().toString(36).slice(2)}.jsonl`);
  const load = new Load(loadAt);
  try {
    await load.reach(1_500);
    const before = load.acked;
    const backup = await cli('backup', ['--to', file, ...source]);
    const after = load.acked;
    expect(backup).toMatchObject({ code: 0, err: '' });
    // Otherwise this test would prove nothing about a backup taken while serving.
    expect(after).toBeGreaterThan(before);
    await load.stop();

    expect(await cli('restore', ['--from', file, ...target])).toMatchObject({ code: 0, err: '' });
    const store = await openStore(target[0] === '--store' ? target[1] ?? null : null, path.resolve(dir, target[1] ?? ''));
    try {
      const snapshot = await store.load(0);
      const count = Number(snapshot.meta.allocations);
      expect(count).toBeGreaterThanOrEqual(before);
      expect(count).toBeLessThanOrEqual(after);
      expect(snapshot.openSessions).toHaveLength(count);
      const events = await store.listEvents({ limit: 1_000_000 });
      expect(events).toHaveLength(count);
      // Seqs survive, and new events continue after them rather than reusing one.
      await store.commit(allocation(count + 1));
      const [next] = await store.listEvents({ afterSeq: events.at(-1)?.seq ?? 0, limit: 10 });
      expect(next?.seq).toBeGreaterThan(events.at(-1)?.seq ?? 0);
    } finally {
      await store.close();
    }
  } finally {
    await load.stop();
  }
}

describe('handoff backup and restore (SQLite)', () => {
  afterEach(() => rmSync(path.join(dir, 'empty'), { recursive: true, force: true }));

  it('restores a backup taken under allocation load to one consistent instant', async () => {
    await backupUnderLoad(['--data-dir', 'live'], path.join(dir, 'live'), ['--data-dir', 'restored']);
  }, 60_000);

  it('refuses a truncated backup and leaves the target store empty', async () => {
    const store = sqliteAt('small');
    await store.commit([...allocation(1), ...allocation(2)]);
    await store.close();
    const file = path.join(dir, 'small.jsonl');
    expect((await cli('backup', ['--to', file, '--data-dir', 'small'])).code).toBe(0);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n`);

    const restore = await cli('restore', ['--from', file, '--data-dir', 'empty']);
    expect(restore.code).toBe(1);
    expect(restore.err).toContain('BACKUP_INVALID');
    const target = sqliteAt('empty');
    expect(await target.listSessions({ limit: 10 })).toEqual([]);
    await target.close();
  });

  it('refuses to restore into a store that already holds state, and changes nothing in it', async () => {
    const file = path.join(dir, 'one.jsonl');
    const store = sqliteAt('one');
    await store.commit(allocation(1));
    await store.close();
    expect((await cli('backup', ['--to', file, '--data-dir', 'one'])).code).toBe(0);
    const held = sqliteAt('empty');
    await held.commit(allocation(7));
    await held.close();

    const restore = await cli('restore', ['--from', file, '--data-dir', 'empty']);
    expect(restore.err).toContain('RESTORE_TARGET_NOT_EMPTY');
    const after = sqliteAt('empty');
    expect((await after.listSessions({ limit: 10 })).map((s) => s.id)).toEqual(['ses_0007']);
    await after.close();
  });

  it('answers a missing --to with usage and exit code 2', async () => {
    expect((await cli('backup', ['--data-dir', 'x'])).code).toBe(2);
  });
});

describePg('handoff backup and restore (PostgreSQL)', () => {
  const databases: string[] = [];
  const database = async (): Promise<string> => {
    const url = await freshDatabase('backup');
    databases.push(url);
    return url;
  };
  afterAll(async () => {
    for (const url of databases) await dropDatabase(url);
  });

  it('restores a PostgreSQL backup taken under allocation load to one consistent instant, into SQLite', async () => {
    const url = await database();
    await (await openStore(url, dir)).close();
    await backupUnderLoad(['--store', url], url, ['--data-dir', 'from-pg']);
  }, 90_000);

  it('restores a SQLite backup taken under allocation load into PostgreSQL', async () => {
    await backupUnderLoad(['--data-dir', 'live-2'], path.join(dir, 'live-2'), ['--store', await database()]);
  }, 90_000);
});
