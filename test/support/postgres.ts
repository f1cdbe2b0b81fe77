/**
 * For test files that need PostgreSQL: the run's cluster (postgres-global.ts) and a fresh
 * database per file or per test. `describePg` skips, with the reason in its title, only when
 * the run has no PostgreSQL at all.
 */
import { randomBytes } from 'node:crypto';
import { describe, inject } from 'vitest';
import { createDatabase } from './postgres-cluster.js';

export function postgresAdminUrl(): string | null {
  const pg = inject('postgres');
  return 'url' in pg ? pg.url : null;
}

/**
 * `describe`, skipped with the reason in its title when this run has no PostgreSQL binaries:
 * `.ci/run` installs them, so CI runs every PostgreSQL suite; a machine without them still runs
 * the rest.
 */
export function describePg(name: string, fn: () => void): void {
  const pg = inject('postgres');
  if ('url' in pg) describe(name, fn);
  // Skip reason: no PostgreSQL binaries on this machine (CI installs them, so CI never skips).
  else describe.skip(`${name} (skipped: ${pg.skipped})`, fn);
}

/** A new, empty database on the run's cluster; its URL. */
export async function freshDatabase(prefix: string): Promise<string> {
  const admin = postgresAdminUrl();
  if (!admin) throw new Error('no PostgreSQL in this run');
  return createDatabase(admin, `${prefix}_${randomBytes(4).toString('hex')}`);
}

/** Drops a database made by `freshDatabase`, closing whatever still connects to it. */
export async function dropDatabase(url: string): Promise<void> {
  const admin = postgresAdminUrl();
  if (!admin) return;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
