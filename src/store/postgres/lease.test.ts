import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePg, dropDatabase, freshDatabase } from '../../../test/support/postgres.js';
import { sampleBuild } from '../fixtures.js';
import { acquireLease, checkFence, readLease, renewLease } from './lease.js';
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

  /** A session of its own on the store's schema, as a replica's leadership keeps one. */
  async function session(store: PostgresStore): Promise<pg.Client> {
    return store.openSession(() => undefined);
  }

  it('hands a live lease over at once when its holder\'s session ends, and fences the old holder', async () => {
    const store = await freshStore();
    try {
      const a = await session(store);
      const b = await session(store);
      const first = await acquireLease(a, 'control-plane', 'a', 60_000);
      expect(first).toMatchObject({ holder: 'a', epoch: 1, reason: 'free' });
      // Renewed on its session: still a's, and b may not take it.
      expect(await renewLease(a, { name: 'control-plane', holder: 'a', epoch: 1 }, 60_000)).not.toBeNull();
      expect(await acquireLease(b, 'control-plane', 'b', 60_000)).toBeNull();
      // a's process dies: its socket closes and the server ends the session.
      await a.end();
      let taken = null;
      for (let i = 0; i < 100 && !taken; i++) {
        taken = await acquireLease(b, 'control-plane', 'b', 60_000);
        if (!taken) await new Promise((r) => setTimeout(r, 20));
      }
      expect(taken).toMatchObject({ holder: 'b', epoch: 2, reason: 'holder-gone' });
      // Long before the 60 s lease expired, and a's epoch is fenced out all the same.
      await store.withClient(async (c) => {
        await expect(checkFence(c, { name: 'control-plane', holder: 'a', epoch: 1 })).rejects.toMatchObject({ code: 'STORE_FENCED' });
        await checkFence(c, { name: 'control-plane', holder: 'b', epoch: 2 });
      });
      await b.end();
    } finally {
      await store.close();
    }
  });

  it('waits out the lease of a holder whose session stays open (paused, not dead), then takes it', async () => {
    const store = await freshStore();
    try {
      const a = await session(store);
      const b = await session(store);
      expect(await acquireLease(a, 'control-plane', 'a', 60_000)).toMatchObject({ epoch: 1 });
      expect(await acquireLease(b, 'control-plane', 'b', 60_000)).toBeNull();
      await b.query("UPDATE leases SET expires_at = 0 WHERE name = 'control-plane'");
      expect(await acquireLease(b, 'control-plane', 'b', 60_000)).toMatchObject({ holder: 'b', epoch: 2, reason: 'expired' });
      // a wakes: its renewal fails, so it learns it lost the lease.
      expect(await renewLease(a, { name: 'control-plane', holder: 'a', epoch: 1 }, 60_000)).toBeNull();
      await a.end();
      await b.end();
    } finally {
      await store.close();
    }
  });

  it('does not take over early from a holder of the previous release, which registers no session', async () => {
    const store = await freshStore();
    try {
      const a = await session(store);
      const b = await session(store);
      await acquireLease(a, 'control-plane', 'a', 60_000);
      // A v0.1.0 replica takes the expired lease with its own statement, leaving a's session registered.
      await b.query("UPDATE leases SET expires_at = 0 WHERE name = 'control-plane'");
      await b.query(`UPDATE leases SET holder = 'old', epoch = epoch + 1, expires_at = (extract(epoch from clock_timestamp()) * 1000)::bigint + 60000 WHERE name = 'control-plane'`);
      await a.end();
      expect(await acquireLease(b, 'control-plane', 'b', 60_000)).toBeNull();
      await b.end();
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
