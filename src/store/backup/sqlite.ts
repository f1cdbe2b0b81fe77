/** Backups of the SQLite store: SQLite's online backup API for the snapshot, raw rows for restore. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { HandoffError } from '../../core/errors.js';
import { lockDataDir } from '../../server/data-dir-lock.js';
import { sqlitePath } from '../open.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import type { BackupSource, RestoreTarget } from './engine.js';
import { invalid, NotBackedUp, type Row } from './format.js';

/**
 * A consistent copy of the data directory's database, taken while a control plane may be
 * writing to it. The copy is one backup step over all pages: SQLite restarts a step-by-step
 * backup whenever another connection writes, which under allocation load could be forever;
 * one step holds a read snapshot of the WAL for its duration, and writers carry on meanwhile.
 */
export async function sqliteSource(dataDir: string): Promise<BackupSource> {
  const live = sqlitePath(dataDir);
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-backup-'));
  const copy = path.join(dir, 'copy.db');
  let db: Database.Database | undefined;
  try {
    const source = new Database(live, { fileMustExist: true });
    try {
      source.pragma('busy_timeout = 5000');
      await source.backup(copy, { progress: () => 0x7fffffff });
    } finally {
      source.close();
    }
    db = new Database(copy, { readonly: true });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new HandoffError('STORE_UNAVAILABLE', `Cannot back up the SQLite store at ${live}`, { path: live, cause: e instanceof Error ? e.message : String(e) });
  }
  const snapshot = db;
  const version = snapshot.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return {
    header: { source: 'sqlite', schemaVersion: version.v ?? 0 },
    tables: () => Promise.resolve(tablesOf(snapshot).filter((t) => !NotBackedUp.has(t))),
    rows: (table) => toAsync(snapshot.prepare(`SELECT * FROM "${table}"`).iterate() as IterableIterator<Row>),
    close: () => {
      snapshot.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/** The data directory's SQLite store, locked against a control plane starting meanwhile. */
export async function sqliteTarget(dataDir: string): Promise<RestoreTarget> {
  let lock;
  try {
    lock = lockDataDir(dataDir);
  } catch (e) {
    throw new HandoffError('RESTORE_TARGET_IN_USE', undefined, { dataDir, cause: e instanceof Error ? e.message : String(e) });
  }
  let db: Database.Database;
  try {
    // Creates and migrates the database, so the rows land in the current schema.
    await SqliteStore.open(sqlitePath(dataDir)).close();
    db = new Database(sqlitePath(dataDir), { fileMustExist: true });
    db.pragma('synchronous = FULL');
  } catch (e) {
    lock.release();
    throw e;
  }
  const columns = new Map(tablesOf(db).map((t) => [t, new Set((db.pragma(`table_info("${t}")`) as { name: string }[]).map((c) => c.name))]));
  const inserts = new Map<string, Database.Statement>();
  return {
    tables: () => Promise.resolve([...columns.keys()].filter((t) => !NotBackedUp.has(t))),
    isEmpty: (tables) => Promise.resolve(tables.every((t) => db.prepare(`SELECT 1 FROM "${t}" LIMIT 1`).get() === undefined)),
    begin: () => Promise.resolve(void db.exec('BEGIN IMMEDIATE')),
    insert: (table, row) => {
      const names = Object.keys(row);
      checkColumns(table, names, columns.get(table));
      const key = `${table}(${names.join(',')})`;
      let stmt = inserts.get(key);
      if (!stmt) {
        stmt = db.prepare(`INSERT INTO "${table}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
        inserts.set(key, stmt);
      }
      stmt.run(...names.map((n) => row[n]));
      return Promise.resolve();
    },
    // AUTOINCREMENT tables record the largest explicit id themselves (sqlite_sequence).
    commit: () => Promise.resolve(void db.exec('COMMIT')),
    rollback: () => Promise.resolve(void (db.inTransaction && db.exec('ROLLBACK'))),
    close: () => {
      db.close();
      lock.release();
      return Promise.resolve();
    },
  };
}

function tablesOf(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

/** Column names come from the backup file: only the target's own columns reach the SQL. */
export function checkColumns(table: string, names: readonly string[], known: ReadonlySet<string> | undefined): void {
  if (!known) throw invalid(`table ${table} is unknown to this store`, { table });
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0 || names.length === 0) throw invalid(`table ${table} has no column ${unknown.join(', ')} here`, { table, columns: unknown });
}

async function* toAsync<T>(it: Iterable<T>): AsyncIterable<T> {
  yield* it;
}
