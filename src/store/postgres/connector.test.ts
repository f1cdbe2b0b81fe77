import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePg, dropDatabase, freshDatabase } from '../../../test/support/postgres.js';
import { Connector } from './connector.js';

describePg('the PostgreSQL connector', () => {
  let url = '';
  beforeAll(async () => {
    url = await freshDatabase('connector');
  });
  afterAll(async () => {
    if (url) await dropDatabase(url);
  });

  it('survives the server ending a checked-out client between queries (a switchover terminates every backend): the next query fails, the process does not crash', async () => {
    const connector = new Connector(url, 2);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const client = await connector.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // Held, idle, as a transaction between two statements is; the server ends it.
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      // The FATAL arrives as an 'error' event on the client; unhandled, it would be an uncaught exception.
      await new Promise((r) => setTimeout(r, 300));
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release(true);
      // A fresh connection works.
      expect((await connector.query('SELECT 1 AS one', [])).rows[0]).toEqual({ one: 1 });
    } finally {
      await admin.end();
      await connector.end();
    }
  });
});
