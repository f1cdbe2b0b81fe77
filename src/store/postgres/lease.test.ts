import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePg, dropDatabase, freshDatabase } from '../../../test/support/postgres.js';
import { sampleBuild } from '../fixtures.js';
import { acquireLease, readLease, renewLease } from './lease.js';
import { PostgresStore } from './pg-store.js';

describePg('leadership leases', () => {
  let dbUrl = '';
  let admin: pg.Client;
  beforeAll(async () => {
    dbUrl = await freshDatabase('lease');
    admin = new pg.Client({ connectionString: dbUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    if (dbUrl) await dropDatabase(dbUrl);
  });

  /** A store in a schema of its own, so each test starts without leases. */
  async function freshStore(): Promise<PostgresStore> {
    const schema = `l_${randomBytes(5).toString('hex')}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    const u = new URL(dbUrl);
    u.searchParams.set('options', `-c search_path=${schema}`);
    return PostgresStore.open(u.toString());
  }

  it('gives a live lease to one holder only, and the next epoch to whoever takes it after it expires', async () => {
    const store = await freshStore();
    try {
      await store.withClient(async (c) => {
        const first = await acquireLease(c, 'control-plane', 'a', 60_000);
        expect(first).toMatchObject({ holder: 'a', epoch: 1 });
        expect(await acquireLease(c, 'control-plane', 'b', 60_000)).toBeNull();
        // Expire it, as a leader that stopped renewing would let it.
        await c.query("UPDATE leases SET expires_at = 0 WHERE name = 'control-plane'");
        expect(await renewLease(c, { name: 'control-plane', holder: 'a', epoch: 1 }, 60_000)).toBeNull();
        expect(await acquireLease(c, 'control-plane', 'b', 60_000)).toMatchObject({ holder: 'b', epoch: 2 });
        expect(await readLease(c, 'control-plane')).toMatchObject({ holder: 'b', epoch: 2, live: true });
        // A restarted holder takes its own lease back at once, under a new epoch.
        expect(await acquireLease(c, 'control-plane', 'b', 60_000)).toMatchObject({ holder: 'b', epoch: 3 });
      });
    } finally {
      await store.close();
    }
  });

  it('refuses a commit fenced with a stale epoch with STORE_FENCED, and writes none of it', async () => {
    const store = await freshStore();
    try {
      const old = await store.withClient((c) => acquireLease(c, 'control-plane', 'a', 60_000));
      if (!old) throw new Error('no lease');
      store.fenceWith(old);
      await store.commit([{ kind: 'putBuild', build: sampleBuild({ id: 'bld_while_leading' }) }]);
      await store.withClient(async (c) => {
        await c.query("UPDATE leases SET expires_at = 0 WHERE name = 'control-plane'");
        await acquireLease(c, 'control-plane', 'b', 60_000);
      });

      await expect(store.commit([{ kind: 'putBuild', build: sampleBuild({ id: 'bld_after_losing' }) }])).rejects.toMatchObject({
        code: 'STORE_FENCED',
        details: { epoch: 1, currentEpoch: 2, currentHolder: 'b' },
      });
      expect(await store.getBuild('bld_while_leading')).toBeDefined();
      expect(await store.getBuild('bld_after_losing')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
