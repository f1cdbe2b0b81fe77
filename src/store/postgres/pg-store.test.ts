import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePg, dropDatabase, freshDatabase } from '../../../test/support/postgres.js';
import { describeStateStoreContract } from '../contract.js';
import { sampleBuild } from '../fixtures.js';
import { applyPgMigrations, latestPgVersion, pgMigrations, type PgMigration } from './migrations.js';
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

  it('refuses a newer schema that records no compatibility (written before the record existed) as STORE_SCHEMA_TOO_NEW', async () => {
    const { url, drop } = await freshSchema();
    try {
      await (await PostgresStore.open(url)).close();
      const future = latestPgVersion() + 1;
      await admin.query(`INSERT INTO ${schemaOf(url)}.schema_migrations (version, applied_at) VALUES ($1, 0)`, [future]);
      await expect(PostgresStore.open(url)).rejects.toMatchObject({
        code: 'STORE_SCHEMA_TOO_NEW',
        details: { schemaVersion: future, knownVersion: latestPgVersion(), compatibleFrom: null },
      });
    } finally {
      await drop();
    }
  });

  it('runs on a schema a newer Handoff only expanded (an N replica restarting mid-upgrade), and refuses one it contracted', async () => {
    const { url, drop } = await freshSchema();
    const known = latestPgVersion();
    const expand: PgMigration = { version: known + 1, sql: 'CREATE TABLE newer_feature (id text PRIMARY KEY)' };
    const contract: PgMigration = { version: known + 2, sql: 'DROP TABLE newer_feature', contract: { compatibleFrom: known + 1 } };
    const migrate = async (list: readonly PgMigration[]): Promise<number> => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return await applyPgMigrations(c, list);
      } finally {
        await c.end();
      }
    };
    try {
      expect(await migrate([...pgMigrations, expand])).toBe(known + 1);
      const store = await PostgresStore.open(url);
      try {
        await store.commit([{ kind: 'putBuild', build: sampleBuild({ id: 'bld_on_newer' }) }]);
        expect((await store.load(0)).builds.map((b) => b.id)).toContain('bld_on_newer');
      } finally {
        await store.close();
      }
      const { rows } = await admin.query(`SELECT version, compatible_from AS c FROM ${schemaOf(url)}.schema_migrations ORDER BY version`);
      expect(rows.at(-1)).toEqual({ version: known + 1, c: 1 });

      await migrate([...pgMigrations, expand, contract]);
      await expect(PostgresStore.open(url)).rejects.toMatchObject({
        code: 'STORE_SCHEMA_TOO_NEW',
        details: { schemaVersion: known + 2, knownVersion: known, compatibleFrom: known + 1 },
      });
      // The release that knows the expand step still runs on the contracted schema.
      expect(await migrate([...pgMigrations, expand])).toBe(known + 2);
    } finally {
      await drop();
    }
  });

  it('fills in compatible_from for steps a 0.1.0 replica recorded without it', async () => {
    const { url, drop } = await freshSchema();
    try {
      const schema = schemaOf(url);
      await admin.query(`CREATE TABLE ${schema}.schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)`);
      await admin.query(`SET search_path = ${schema}`);
      for (const m of pgMigrations.slice(0, 2)) {
        await admin.query(m.sql);
        await admin.query(`INSERT INTO ${schema}.schema_migrations VALUES ($1, 0)`, [m.version]);
      }
      await admin.query('RESET search_path');
      await (await PostgresStore.open(url)).close();
      const { rows } = await admin.query(`SELECT version, compatible_from AS c FROM ${schema}.schema_migrations ORDER BY version`);
      expect(rows).toEqual(pgMigrations.map((m) => ({ version: m.version, c: 1 })));
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
