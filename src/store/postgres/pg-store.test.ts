import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePg, dropDatabase, freshDatabase } from '../../../test/support/postgres.js';
import { describeStateStoreContract } from '../contract.js';
import { latestPgVersion, pgMigrations } from './migrations.js';
import { PostgresStore } from './pg-store.js';

/**
 * The store contract and PostgreSQL specifics against the run's throwaway cluster. Each test
 * gets its own schema (search_path in the URL) in this file's database: a fresh, empty store
 * without the cost of a CREATE DATABASE per test.
 */
describePg('PostgresStore', () => {
  let dbUrl = '';
  let admin: pg.Client;
  beforeAll(async () => {
    dbUrl = await freshDatabase('contract');
    admin = new pg.Client({ connectionString: dbUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    if (dbUrl) await dropDatabase(dbUrl);
  });

  async function freshSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
    const schema = `t_${randomBytes(5).toString('hex')}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    const u = new URL(dbUrl);
    u.searchParams.set('options', `-c search_path=${schema}`);
    return { url: u.toString(), drop: async () => void (await admin.query(`DROP SCHEMA ${schema} CASCADE`)) };
  }

  describeStateStoreContract('postgres', async () => {
    const { url, drop } = await freshSchema();
    const opened = [await PostgresStore.open(url)];
    return {
      store: opened[0] as PostgresStore,
      reopen: async () => {
        const store = await PostgresStore.open(url);
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        for (const store of opened) await store.close();
        await drop();
      },
    };
  });

  it('records each migration once however often the database is opened, even by replicas starting together', async () => {
    const { url, drop } = await freshSchema();
    try {
      // Without the advisory lock, two of these would both see version 0 and both CREATE TABLE.
      const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(url)));
      for (const s of stores) await s.close();
      await (await PostgresStore.open(url)).close();
      const { rows } = await admin.query(`SELECT version FROM ${schemaOf(url)}.schema_migrations ORDER BY version`);
      expect(rows.map((r: { version: number }) => r.version)).toEqual(pgMigrations.map((m) => m.version));
    } finally {
      await drop();
    }
  });

  it('refuses a database whose schema is newer than this code knows', async () => {
    const { url, drop } = await freshSchema();
    try {
      await (await PostgresStore.open(url)).close();
      const future = latestPgVersion() + 1;
      await admin.query(`INSERT INTO ${schemaOf(url)}.schema_migrations (version, applied_at) VALUES ($1, 0)`, [future]);
      await expect(PostgresStore.open(url)).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        details: { schemaVersion: future, knownVersion: latestPgVersion() },
      });
    } finally {
      await drop();
    }
  });

  it('refuses a database it cannot reach as STORE_UNAVAILABLE, without printing the password', async () => {
    const u = new URL(dbUrl);
    u.password = 'hunter2';
    u.port = '1';
    const error: unknown = await PostgresStore.open(u.toString()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(JSON.stringify(error) + String(error)).not.toContain('hunter2');
  });
});

function schemaOf(url: string): string {
  return (new URL(url).searchParams.get('options') ?? '').replace('-c search_path=', '');
}
