/**
 * `handoff server` on a schema a newer Handoff migrated: it starts when every newer step only
 * expanded (an N replica restarting during a rolling upgrade), and refuses with
 * STORE_SCHEMA_TOO_NEW and exit status 78 after a contract step — on both stores.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlitePath } from '../../src/store/open.js';
import { applyPgMigrations, latestPgVersion, pgMigrations, type PgMigration } from '../../src/store/postgres/migrations.js';
import { applyMigrations, latestVersion, migrations, type Migration } from '../../src/store/sqlite/migrations.js';
import { freePort, repoRoot } from '../support/control-plane.js';
import { describePg, dropDatabase, freshDatabase } from '../support/postgres.js';

/** Runs `handoff server` until it prints that it listens (then stops it: status null) or exits. */
function runServer(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(repoRoot, 'bin/handoff'), ['server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let listening = false;
    const seen = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!listening && /listening on/.test(output)) {
        listening = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('error', reject);
    child.once('exit', (code) => resolve({ status: listening ? null : code, output }));
  });
}

const sqliteStep = (version: number, sql: string, compatibleFrom?: number): Migration => ({ version, sql, ...(compatibleFrom ? { contract: { compatibleFrom } } : {}) });

describe('handoff server on a SQLite schema from a newer Handoff', () => {
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'handoff-schema-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function dataDirWith(name: string, extra: Migration[]): string {
    const dir = path.join(root, name);
    mkdirSync(dir);
    const db = new Database(sqlitePath(dir));
    try {
      applyMigrations(db, [...migrations, ...extra]);
    } finally {
      db.close();
    }
    return dir;
  }

  it('starts on a newer schema that only expanded', async () => {
    const dir = dataDirWith('expanded', [sqliteStep(latestVersion() + 1, 'CREATE TABLE newer_feature (id TEXT PRIMARY KEY) STRICT')]);
    const run = await runServer(['--data-dir', dir, '--port', String(await freePort()), '--sdk-port', String(await freePort()), '--runtime', 'simulated']);
    expect(run).toMatchObject({ status: null });
  }, 60_000);

  it('refuses a contracted one with STORE_SCHEMA_TOO_NEW\'s message and exit status 78', async () => {
    const known = latestVersion();
    const dir = dataDirWith('contracted', [
      sqliteStep(known + 1, 'CREATE TABLE hosts_v2 (id TEXT PRIMARY KEY, doc TEXT NOT NULL) STRICT'),
      sqliteStep(known + 2, 'DROP TABLE hosts', known + 1),
    ]);
    const run = await runServer(['--data-dir', dir, '--port', String(await freePort()), '--sdk-port', String(await freePort()), '--runtime', 'simulated']);
    expect(run.status).toBe(78);
    expect(run.output).toContain(`Database schema version ${known + 2} is newer than this Handoff knows (${known}) and needs a Handoff that knows version ${known + 1} or newer`);
  }, 60_000);
});

describePg('handoff server --store postgres://… on a schema from a newer Handoff', () => {
  const urls: string[] = [];
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'handoff-schema-pg-'));
  });
  afterAll(async () => {
    for (const u of urls) await dropDatabase(u);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function databaseWith(extra: PgMigration[]): Promise<string> {
    const url = await freshDatabase('schema');
    urls.push(url);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await applyPgMigrations(c, [...pgMigrations, ...extra]);
    } finally {
      await c.end();
    }
    return url;
  }

  it('starts a replica on a newer schema that only expanded, and refuses a contracted one with exit status 78 (not 75: a restart cannot help)', async () => {
    const known = latestPgVersion();
    const expanded = await databaseWith([{ version: known + 1, sql: 'CREATE TABLE newer_feature (id text PRIMARY KEY)' }]);
    const args = async (url: string, id: string): Promise<string[]> => [
      '--store', url, '--replica-id', id, '--data-dir', path.join(root, id),
      '--port', String(await freePort()), '--sdk-port', String(await freePort()), '--runtime', 'simulated',
    ];
    expect(await runServer(await args(expanded, 'expanded'))).toMatchObject({ status: null });

    const contracted = await databaseWith([
      { version: known + 1, sql: 'CREATE TABLE hosts_v2 (id text PRIMARY KEY, doc text NOT NULL)' },
      { version: known + 2, sql: 'DROP TABLE hosts', contract: { compatibleFrom: known + 1 } },
    ]);
    const run = await runServer(await args(contracted, 'contracted'));
    expect(run.status).toBe(78);
    expect(run.output).toContain(`Database schema version ${known + 2} is newer than this Handoff knows (${known})`);
  }, 90_000);
});
