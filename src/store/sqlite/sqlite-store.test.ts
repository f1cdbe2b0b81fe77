import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HandoffError } from '../../core/errors.js';
import { describeStateStoreContract } from '../contract.js';
import { sampleBuild, sampleFleet, sampleServer, sampleSession } from '../fixtures.js';
import { applyMigrations, latestVersion, migrations, type Migration } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

describeStateStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'handoff-store-'));
  const path = join(dir, 'state.db');
  const opened = [SqliteStore.open(path)];
  return {
    store: opened[0] as SqliteStore,
    reopen: () => {
      const store = SqliteStore.open(path);
      opened.push(store);
      return Promise.resolve(store);
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'handoff-sqlite-'));
    path = join(dir, 'state.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Inspects the file with a second, raw connection, as an operator's sqlite3 shell would. */
  function raw<T>(fn: (db: Database.Database) => T): T {
    const db = new Database(path);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  const recordedVersions = () =>
    raw((db) => db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all());

  it('records each migration once however often the database is reopened', async () => {
    for (let i = 0; i < 3; i++) await SqliteStore.open(path).close();
    expect(recordedVersions()).toEqual(migrations.map((m) => m.version));
  });

  it('rewrites a server in place when only its document changed, and through its indexes when it stops or moves', async () => {
    const store = SqliteStore.open(path);
    try {
      await store.commit([{ kind: 'putServer', server: sampleServer({ state: 'Starting' }) }]);
      await store.commit([{ kind: 'putServer', server: sampleServer({ state: 'Ready', pid: 7 }) }]);
      expect(await store.getServer('srv_1')).toEqual(sampleServer({ state: 'Ready', pid: 7 }));
      expect((await store.listServers({ fleet: 'arena', limit: 10 })).map((s) => s.pid)).toEqual([7]);
      await store.commit([{ kind: 'putServer', server: sampleServer({ state: 'Stopped', pid: 7 }) }]);
      expect(await store.listServers({ fleet: 'arena', limit: 10 })).toEqual([]);
      expect((await store.listServers({ fleet: 'arena', includeTerminal: true, limit: 10 })).map((s) => s.state)).toEqual(['Stopped']);
      await store.commit([{ kind: 'putServer', server: sampleServer({ state: 'Ready', fleet: 'duel', createdAt: 99 }) }]);
      expect(await store.listServers({ fleet: 'arena', includeTerminal: true, limit: 10 })).toEqual([]);
      expect((await store.listServers({ fleet: 'duel', limit: 10 })).map((s) => s.createdAt)).toEqual([99]);
    } finally {
      await store.close();
    }
  });

  it('keeps data when reopened by the same schema version', async () => {
    const first = SqliteStore.open(path);
    await first.commit([{ kind: 'putBuild', build: sampleBuild() }]);
    await first.close();
    const second = SqliteStore.open(path);
    expect(await second.getBuild('bld_1')).toEqual(sampleBuild());
    await second.close();
  });

  it('applies only the migrations a database has not seen yet', () => {
    const v1: Migration = { version: 1, sql: 'CREATE TABLE a (x INTEGER) STRICT' };
    const v2: Migration = { version: 2, sql: 'CREATE TABLE b (y INTEGER) STRICT' };
    // Re-running v1 would fail ("table a already exists"), so success proves it was skipped.
    expect(raw((db) => applyMigrations(db, [v1]))).toBe(1);
    expect(raw((db) => applyMigrations(db, [v1, v2]))).toBe(2);
    expect(recordedVersions()).toEqual([1, 2]);
  });

  it('gives fleets stored before party policies the default policy, together', async () => {
    const { partyPolicy: _none, ...old } = sampleFleet();
    raw((db) => {
      applyMigrations(db, migrations.slice(0, 1));
      db.prepare('INSERT INTO fleets (name, doc) VALUES (?, ?)').run(old.name, JSON.stringify(old));
    });
    const store = SqliteStore.open(path);
    expect(await store.getFleet(old.name)).toEqual(sampleFleet({ partyPolicy: 'together' }));
    await store.close();
  });

  it('lets retention find sessions closed before the closed_at column existed', async () => {
    const gone = sampleSession({ id: 'ses_old', state: 'Closed', closedAt: 1_000, closeReason: 'ended' });
    raw((db) => {
      applyMigrations(db, migrations.slice(0, 3));
      db.prepare('INSERT INTO sessions (id, fleet, server, player_id, open, opened_at, doc) VALUES (?, ?, ?, ?, 0, ?, ?)')
        .run(gone.id, gone.fleet, gone.server, gone.playerId, gone.openedAt, JSON.stringify(gone));
    });
    const store = SqliteStore.open(path, { checkpoint: false });
    expect(await store.listClosedSessions({ limit: 10, closedBefore: 2_000 })).toEqual([gone]);
    expect((await store.retentionStats()).closedSessions).toBe(1);
    await store.close();
  });

  it('counts closed sessions and finds the oldest events from indexes, without scanning tables', () => {
    raw((db) => applyMigrations(db));
    const plan = (sql: string) => raw((db) => db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => (r as { detail: string }).detail).join('; '));
    expect(plan('SELECT COUNT(*) FROM sessions WHERE open = 0')).toContain('sessions_closed');
    expect(plan('SELECT doc FROM sessions WHERE open = 0 AND closed_at < 5 ORDER BY closed_at, id LIMIT 10')).toContain('sessions_closed');
  });

  it('rolls a failing migration back together with the steps before it', () => {
    const good: Migration = { version: 1, sql: 'CREATE TABLE a (x INTEGER) STRICT' };
    const bad: Migration = { version: 2, sql: 'CREATE TABLE broken (' };
    expect(() => raw((db) => applyMigrations(db, [good, bad]))).toThrow();
    const tables = raw((db) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all());
    expect(tables).toEqual([]);
  });

  it('refuses a newer schema that records no compatibility (written before the record existed) as STORE_SCHEMA_TOO_NEW', async () => {
    await SqliteStore.open(path).close();
    const future = latestVersion() + 1;
    raw((db) => db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(future));

    const error = catchError(() => SqliteStore.open(path));
    expect(error).toBeInstanceOf(HandoffError);
    expect(error).toMatchObject({
      code: 'STORE_SCHEMA_TOO_NEW',
      details: { schemaVersion: future, knownVersion: latestVersion(), compatibleFrom: null },
    });
    expect((error as Error).message).toContain(`schema version ${future} is newer`);
  });

  it('runs on a schema a newer Handoff only expanded, as it is, and keeps reading and writing', async () => {
    const next: Migration = { version: latestVersion() + 1, sql: 'CREATE TABLE newer_feature (id TEXT PRIMARY KEY) STRICT' };
    raw((db) => applyMigrations(db, [...migrations, next]));
    const store = SqliteStore.open(path);
    try {
      await store.commit([{ kind: 'putBuild', build: sampleBuild({ id: 'bld_on_newer' }) }]);
      expect((await store.load(0)).builds.map((b) => b.id)).toContain('bld_on_newer');
    } finally {
      await store.close();
    }
    // It migrated nothing and recorded nothing: the newer step is still the newest.
    const rows = raw((db) => db.prepare('SELECT version, compatible_from AS c FROM schema_migrations ORDER BY version').all()) as { version: number; c: number }[];
    expect(rows.at(-1)).toEqual({ version: next.version, c: 1 });
    expect(rows.map((r) => r.c)).toEqual(rows.map(() => 1));
  });

  it('refuses a schema a newer Handoff contracted past this version, naming the version it needs', () => {
    const known = latestVersion();
    const expand: Migration = { version: known + 1, sql: 'CREATE TABLE renamed (id TEXT PRIMARY KEY) STRICT' };
    const contract: Migration = { version: known + 2, sql: 'DROP TABLE hosts', contract: { compatibleFrom: known + 1 } };
    raw((db) => applyMigrations(db, [...migrations, expand, contract]));
    const error = catchError(() => SqliteStore.open(path));
    expect(error).toMatchObject({ code: 'STORE_SCHEMA_TOO_NEW', details: { schemaVersion: known + 2, knownVersion: known, compatibleFrom: known + 1 } });
    expect((error as Error).message).toContain(`needs a Handoff that knows version ${known + 1} or newer`);
    // Its own release (knowing the expand step) still runs on it.
    expect(raw((db) => applyMigrations(db, [...migrations, expand]))).toBe(known + 2);
  });

  it('records, for every step, the oldest version still able to run on it — filling in steps recorded before the column existed', async () => {
    raw((db) => {
      // A database as Handoff 0.1.0 left it: no compatible_from column.
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
      for (const m of migrations.slice(0, 3)) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(m.version);
      }
    });
    await SqliteStore.open(path).close();
    const rows = raw((db) => db.prepare('SELECT version, compatible_from AS c FROM schema_migrations ORDER BY version').all());
    expect(rows).toEqual(migrations.map((m) => ({ version: m.version, c: 1 })));
  });

  it('refuses a path it cannot open as STORE_UNAVAILABLE', () => {
    expect(catchError(() => SqliteStore.open(join(dir, 'missing', 'state.db')))).toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
  });

  it('puts the database file in WAL mode', async () => {
    await SqliteStore.open(path).close();
    // journal_mode=WAL is persistent, so a fresh connection sees it.
    expect(raw((db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
  });

  it('keeps every acknowledged commit when the writer is killed with SIGKILL', async () => {
    const script = fileURLToPath(new URL('./testdata/commit-loop.ts', import.meta.url));
    const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, path], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    let acked = 0;
    let pending = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // 'close' fires after the pipes drain, so acks written just before the kill are counted too.
    const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const match = /^acked (\d+)$/.exec(line);
          if (match) acked = Number(match[1]);
        }
        if (acked >= 50) resolve();
      });
      void closed.then(() => reject(new Error(`writer exited before 50 acks (got ${acked}): ${stderr}`)));
    });

    child.kill('SIGKILL');
    expect(await closed).toBe('SIGKILL');
    expect(acked).toBeGreaterThanOrEqual(50);

    expect(raw((db) => db.pragma('integrity_check', { simple: true }))).toBe('ok');
    const store = SqliteStore.open(path);
    try {
      const missing: number[] = [];
      for (let n = 1; n <= acked; n++) {
        if ((await store.getSession(`ses_${n}`)) === undefined) missing.push(n);
      }
      expect(missing).toEqual([]);
      expect((await store.listEvents({ limit: 100_000 })).length).toBeGreaterThanOrEqual(acked);
    } finally {
      await store.close();
    }
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}
