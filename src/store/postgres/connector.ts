/**
 * The connection pool behind PostgresStore, able to follow a primary that moves.
 *
 * node-postgres 8.x neither parses multi-host URLs nor knows `target_session_attrs`, so this
 * does what libpq does: try each host in order, ask the server whether it is in recovery or
 * read-only, and keep the first that satisfies `target_session_attrs`. The pool then talks to
 * that host only. When a query fails in a way that says the host may have changed (connection
 * lost, server shutting down, a write refused as read-only: see `meansHostChanged`), the next
 * connection chooses again. So reads, heartbeats and lease attempts resume on their own once a
 * standby is promoted. A commit that failed is never retried here: its caller gets
 * STORE_UNAVAILABLE and a leader stops (exit 75) and reloads from whichever database is primary
 * when it restarts, because what it held in memory may be ahead of what was committed.
 */
import pg from 'pg';
import { connectionConfig } from './url.js';
import { meansHostChanged, parseTargets, rejectReason, type PgTargets } from './targets.js';

export class Connector {
  private pool: pg.Pool | null = null;
  private current = -1;
  /** One selection at a time; callers arriving during one wait for it. */
  private selecting: Promise<pg.Pool> | null = null;
  private readonly targets: PgTargets;

  constructor(url: string, private readonly poolSize: number, private readonly log: (line: string) => void = () => undefined) {
    this.targets = parseTargets(url);
  }

  /** `host:port` of the server in use, or null before the first connection. */
  get host(): string | null {
    return this.current >= 0 ? (this.targets.labels[this.current] ?? null) : null;
  }

  /** The single-host URL in use, or null before the first connection. */
  get url(): string | null {
    return this.current >= 0 ? (this.targets.hosts[this.current] ?? null) : null;
  }

  /** A client from the pool on the chosen host; chooses one first if needed. */
  async connect(): Promise<pg.PoolClient> {
    const pool = await this.ready();
    try {
      return await pool.connect();
    } catch (e) {
      this.failed(pool, e);
      // The host may just have changed under an idle pool: choose again, once.
      return (await this.ready()).connect();
    }
  }

  /**
   * A connection of its own to the chosen host, outside the pool (which closes idle clients):
   * the session a leader keeps open for as long as it leads (lease.ts). Its caller ends it.
   */
  async openSession(onError: (e: Error) => void): Promise<pg.Client> {
    const pool = await this.ready();
    const url = this.url;
    if (!url) throw new Error('no PostgreSQL host chosen');
    const client = new pg.Client(connectionConfig(url));
    // A broken idle session must not crash the process: its owner opens another.
    client.on('error', (e) => {
      this.failed(pool, e);
      onError(e);
    });
    try {
      await client.connect();
    } catch (e) {
      this.failed(pool, e);
      throw e;
    }
    return client;
  }

  /** Runs one query on a pooled client. */
  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      return await client.query<R>(sql, params);
    } catch (e) {
      this.failed(null, e);
      if (meansHostChanged(e)) broken = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Tells the connector a query on its pool failed with `e`; if that means the primary may have
   * moved, the next `connect` chooses a host again. `pool` is the pool the failure came from
   * (null: the current one).
   */
  failed(pool: pg.Pool | null, e: unknown): void {
    if (!meansHostChanged(e)) return;
    const stale = this.pool;
    if (!stale || (pool && pool !== stale)) return;
    this.pool = null;
    this.log(`postgres: lost ${this.host ?? 'the database'} (${e instanceof Error ? e.message : String(e)}); choosing a host again`);
    // Clients still checked out finish (and fail) on their own; end() waits for them.
    void stale.end().catch(() => undefined);
  }

  async end(): Promise<void> {
    const pool = this.pool ?? (await this.selecting?.catch(() => null));
    this.pool = null;
    await pool?.end();
  }

  private ready(): Promise<pg.Pool> {
    if (this.pool) return Promise.resolve(this.pool);
    this.selecting ??= this.select().finally(() => (this.selecting = null));
    return this.selecting;
  }

  /** Tries each host in order; the first that satisfies target_session_attrs gets the pool. */
  private async select(): Promise<pg.Pool> {
    const { hosts, labels, attrs } = this.targets;
    const why: string[] = [];
    for (const [i, url] of hosts.entries()) {
      const pool = new pg.Pool({ ...connectionConfig(url), max: this.poolSize });
      // An idle connection that breaks (a database restart) is dropped from the pool; without a
      // listener it would crash the process.
      pool.on('error', (e) => this.failed(pool, e));
      // The pool listens only while a client is idle. A checked-out client between two queries
      // (a transaction, a lease tick) that the server ends — a Patroni switchover terminates
      // every backend — emits 'error' with no query to fail: without this listener that crashed
      // the process (exit 1) instead of failing its next query, found by examples/ha/patroni-drill.sh.
      pool.on('connect', (client) => client.on('error', (e) => this.failed(pool, e)));
      if (hosts.length === 1 && attrs === 'any') return this.use(pool, i);
      try {
        const { rows } = await pool.query<{ recovery: boolean; ro: string }>(
          "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS ro",
        );
        const reason = rejectReason({ inRecovery: rows[0]?.recovery === true, readOnly: rows[0]?.ro === 'on' }, attrs);
        if (reason === null) return this.use(pool, i);
        why.push(`${labels[i]}: ${reason}`);
      } catch (e) {
        why.push(`${labels[i]}: ${e instanceof Error ? e.message : String(e)}`);
      }
      await pool.end().catch(() => undefined);
    }
    throw new Error(`no usable PostgreSQL host (target_session_attrs=${attrs}): ${why.join('; ')}`);
  }

  private use(pool: pg.Pool, index: number): pg.Pool {
    const changed = this.current >= 0 && this.current !== index;
    this.current = index;
    this.pool = pool;
    if (changed || this.targets.hosts.length > 1) this.log(`postgres: using ${this.host}`);
    return pool;
  }
}

/**
 * The single-host URL of the host `url` selects now (for one-off connections: backups,
 * restores). For a single-host URL without `target_session_attrs`, `url` itself.
 */
export async function selectedUrl(url: string): Promise<string> {
  const targets = parseTargets(url);
  if (targets.hosts.length === 1 && targets.attrs === 'any') return url;
  const connector = new Connector(url, 1);
  try {
    (await connector.connect()).release();
    return connector.url ?? url;
  } finally {
    await connector.end();
  }
}
