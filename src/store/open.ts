import path from 'node:path';
import type { StateStore } from './port.js';
import { isPostgresUrl } from './postgres/url.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/**
 * The store `handoff server --store` names: a postgres:// URL opens PostgreSQL (loaded only
 * then), anything else (the default) the embedded SQLite file in the data directory.
 */
export async function openStore(store: string | null, dataDir: string): Promise<StateStore> {
  if (store !== null && isPostgresUrl(store)) {
    const { PostgresStore } = await import('./postgres/pg-store.js');
    return PostgresStore.open(store);
  }
  return SqliteStore.open(sqlitePath(dataDir));
}

/** Where the SQLite store of a data directory lives. */
export function sqlitePath(dataDir: string): string {
  return path.join(dataDir, 'handoff.db');
}
