import type pg from 'pg';
import type { Build } from '../../builds/model.js';
import type { StoredEvent } from '../../core/events.js';
import { HandoffError, isHandoffError } from '../../core/errors.js';
import type { Fleet, GameServer } from '../../fleet/model.js';
import type { Rollout } from '../../rollout/model.js';
import type { MigrationTokenRecord, Session } from '../../session/model.js';
import type { Environment, EnvSnapshot } from '../../environment/model.js';
import type { Delivery, Webhook } from '../../notify/model.js';
import type { Host } from '../../hosts/model.js';
import type { ReleaseRecord } from '../../release/model.js';
import type {
  ClosedSessionQuery,
  DeliveryQuery,
  EnvSnapshotQuery,
  EventQuery,
  IdempotencyRecord,
  Mutation,
  Page,
  ReleaseQuery,
  RetentionStats,
  RolloutQuery,
  ServerQuery,
  SessionQuery,
  Snapshot,
  StateStore,
} from '../port.js';
import { fromDoc, fromDocs, toStoredEvent, type DocRow, type EventRow } from '../sqlite/rows.js';
import { planBatch } from './batch.js';
import { ExtraReads } from './extras.js';
import { checkFence, type Fence } from './lease.js';
import { applyPgMigrations } from './migrations.js';
import { Connector } from './connector.js';
import { redactUrl } from './url.js';
import { where } from './where.js';

const READ_FAILED = 'The state store could not be read';

export interface PostgresStoreOptions {
  /** Connections in the pool (reads run in parallel; commits use one at a time). Default 4. */
  poolSize?: number;
  /** Where the connector says which host it uses and when it chooses again. */
  log?: (line: string) => void;
}

/**
 * The StateStore on PostgreSQL, for replicas sharing one database. Same tables and semantics as
 * the SQLite adapter. Commits are serialised in this process (one at a time, in call order), as
 * SQLite's single writer is: events then get seqs in commit order, and the Persister's group
 * commit already turns a tick's allocations into one batch, so the queue stays short.
 * Durability: `synchronous_commit = on` for every connection, so a resolved commit has been
 * flushed by the server (and by a synchronous standby, if one is configured) whatever the
 * database's default says.
 */
export class PostgresStore implements StateStore {
  readonly kind = 'postgres' as const;
  /** The tail of the commit queue: each commit starts when the one before it has settled. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private fence: Fence | null = null;
  /** Release plans, environments, webhooks and retention (see `extras.ts`). */
  private readonly extras: ExtraReads;

  private constructor(private readonly pool: Connector) {
    this.extras = new ExtraReads((sql, params) => this.query(sql, params));
  }

  /**
   * Connects to `url` (postgres://user@host:port/db, or several hosts with
   * `target_session_attrs=read-write`: see connector.ts) and migrates the schema. Fails with
   * STORE_UNAVAILABLE when the database cannot be reached; STORE_SCHEMA_TOO_NEW when a newer Handoff contracted its schema (store/schema-compat.ts).
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    let pool: Connector;
    try {
      pool = new Connector(url, options.poolSize ?? 4, options.log);
    } catch (e) {
      throw new HandoffError('STORE_UNAVAILABLE', `Cannot open the state store at ${redactUrl(url)}: ${messageOf(e)}`, { url: redactUrl(url), cause: messageOf(e) });
    }
    try {
      const client = await pool.connect();
      try {
        await applyPgMigrations(client);
      } finally {
        client.release();
      }
      return new PostgresStore(pool);
    } catch (e) {
      await pool.end().catch(() => undefined);
      if (isHandoffError(e)) throw e;
      throw new HandoffError('STORE_UNAVAILABLE', `Cannot open the state store at ${redactUrl(url)}`, { url: redactUrl(url), cause: messageOf(e) });
    }
  }

  /**
   * From now on every commit checks, in its own transaction, that `fence` still holds the lease
   * with the same epoch (see lease.ts); one that does not is rejected with STORE_FENCED and
   * writes nothing. Null stops checking.
   */
  fenceWith(fence: Fence | null): void {
    this.fence = fence;
  }

  commit(mutations: readonly Mutation[]): Promise<void> {
    if (this.closed) return Promise.reject(new HandoffError('STORE_UNAVAILABLE', 'The state store is closed'));
    if (mutations.length === 0) return Promise.resolve();
    const run = this.tail.then(() => this.commitNow(mutations));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async commitNow(mutations: readonly Mutation[]): Promise<void> {
    let statements;
    try {
      statements = planBatch(mutations);
    } catch (e) {
      throw new HandoffError('STORE_UNAVAILABLE', undefined, { cause: messageOf(e) });
    }
    const fence = this.fence;
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw new HandoffError('STORE_UNAVAILABLE', undefined, { cause: messageOf(e) });
    }
    // Never retried, even when the primary just moved: the caller must not take a commit that
    // failed for one that happened (or the reverse), so it gets STORE_UNAVAILABLE and decides.
    let broken: Error | undefined;
    try {
      // One round trip. SET LOCAL: durable on resolve whatever the server's or role's default.
      await client.query('BEGIN; SET LOCAL synchronous_commit TO on');
      // First, so a fenced-out writer learns it before writing anything.
      if (fence) await checkFence(client, fence);
      for (const s of statements) await client.query(s.text, s.values);
      await client.query('COMMIT');
    } catch (e) {
      this.pool.failed(null, e);
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        // The connection is unusable: drop it instead of handing it to the next caller.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      if (isHandoffError(e)) throw e;
      throw new HandoffError('STORE_UNAVAILABLE', undefined, { cause: messageOf(e) });
    } finally {
      client.release(broken);
    }
  }

  async load(now: number): Promise<Snapshot> {
    return this.readOnly(async (q) => {
      const docs = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => fromDocs<T>(await q<DocRow>(sql, params));
      return {
        builds: await docs<Build>('SELECT doc FROM builds ORDER BY created_at DESC, id DESC'),
        fleets: await docs<Fleet>('SELECT doc FROM fleets ORDER BY name'),
        servers: await docs<GameServer>('SELECT doc FROM servers WHERE terminal = 0 ORDER BY created_at DESC, id DESC'),
        openSessions: await docs<Session>('SELECT doc FROM sessions WHERE open = 1 ORDER BY opened_at DESC, id DESC'),
        activeRollouts: await docs<Rollout>('SELECT doc FROM rollouts WHERE terminal = 0 ORDER BY created_at DESC, id DESC'),
        idempotency: await docs<IdempotencyRecord>('SELECT doc FROM idempotency WHERE expires_at > $1 ORDER BY expires_at, key', [now]),
        migrationTokens: await docs<MigrationTokenRecord>('SELECT doc FROM migration_tokens WHERE expires_at > $1 ORDER BY expires_at, id', [now]),
        meta: Object.fromEntries((await q<{ key: string; value: string }>('SELECT key, value FROM meta ORDER BY key')).map((r) => [r.key, r.value])),
      };
    });
  }

  getBuild(id: string): Promise<Build | undefined> {
    return this.getDoc<Build>('SELECT doc FROM builds WHERE id = $1', id);
  }

  getFleet(name: string): Promise<Fleet | undefined> {
    return this.getDoc<Fleet>('SELECT doc FROM fleets WHERE name = $1', name);
  }

  getServer(id: string): Promise<GameServer | undefined> {
    return this.getDoc<GameServer>('SELECT doc FROM servers WHERE id = $1', id);
  }

  getSession(id: string): Promise<Session | undefined> {
    return this.getDoc<Session>('SELECT doc FROM sessions WHERE id = $1', id);
  }

  getRollout(id: string): Promise<Rollout | undefined> {
    return this.getDoc<Rollout>('SELECT doc FROM rollouts WHERE id = $1', id);
  }

  listBuilds(q: Page): Promise<Build[]> {
    return this.docs<Build>('SELECT doc FROM builds ORDER BY created_at DESC, id DESC LIMIT $1', [q.limit]);
  }

  listServers(q: ServerQuery): Promise<GameServer[]> {
    const w = where([
      q.fleet !== undefined ? ['fleet = ?', q.fleet] : undefined,
      q.includeTerminal ? undefined : 'terminal = 0',
    ]);
    return this.docs<GameServer>(`SELECT doc FROM servers${w.sql} ORDER BY created_at DESC, id DESC LIMIT $${w.next}`, [...w.params, q.limit]);
  }

  listSessions(q: SessionQuery): Promise<Session[]> {
    const w = where([
      q.fleet !== undefined ? ['fleet = ?', q.fleet] : undefined,
      q.playerId !== undefined ? ['player_id = ?', q.playerId] : undefined,
      q.server !== undefined ? ['server = ?', q.server] : undefined,
      // A literal, not a parameter, so the planner can use the partial index on open sessions.
      q.open === undefined ? undefined : q.open ? 'open = 1' : 'open = 0',
    ]);
    return this.docs<Session>(`SELECT doc FROM sessions${w.sql} ORDER BY opened_at DESC, id DESC LIMIT $${w.next}`, [...w.params, q.limit]);
  }

  listRollouts(q: RolloutQuery): Promise<Rollout[]> {
    const w = where([q.fleet !== undefined ? ['fleet = ?', q.fleet] : undefined]);
    return this.docs<Rollout>(`SELECT doc FROM rollouts${w.sql} ORDER BY created_at DESC, id DESC LIMIT $${w.next}`, [...w.params, q.limit]);
  }

  async listEvents(q: EventQuery): Promise<StoredEvent[]> {
    const w = where([
      q.fleet !== undefined ? ['fleet = ?', q.fleet] : undefined,
      q.afterSeq !== undefined ? ['seq > ?', q.afterSeq] : undefined,
    ]);
    const rows = await this.query<EventRow>(`SELECT seq, doc FROM events${w.sql} ORDER BY seq LIMIT $${w.next}`, [...w.params, q.limit]);
    return rows.map(toStoredEvent);
  }

  getReleasePlan(name: string): Promise<ReleaseRecord | undefined> {
    return this.extras.getReleasePlan(name);
  }

  listReleasePlans(q: ReleaseQuery): Promise<ReleaseRecord[]> {
    return this.extras.listReleasePlans(q);
  }

  listEnvironments(): Promise<Environment[]> {
    return this.extras.listEnvironments();
  }

  listEnvSnapshots(q: EnvSnapshotQuery): Promise<EnvSnapshot[]> {
    return this.extras.listEnvSnapshots(q);
  }

  getEnvSnapshot(environment: string, number: number): Promise<EnvSnapshot | undefined> {
    return this.extras.getEnvSnapshot(environment, number);
  }

  listHosts(): Promise<Host[]> {
    return this.extras.listHosts();
  }

  listWebhooks(): Promise<Webhook[]> {
    return this.extras.listWebhooks();
  }

  listDeliveries(q: DeliveryQuery): Promise<Delivery[]> {
    return this.extras.listDeliveries(q);
  }

  listClosedSessions(q: ClosedSessionQuery): Promise<Session[]> {
    return this.extras.listClosedSessions(q);
  }

  retentionStats(): Promise<RetentionStats> {
    return this.extras.retentionStats();
  }

  /** A connection outside the pool, kept until its caller ends it: a leader's session (lease.ts). */
  openSession(onError: (e: Error) => void): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new HandoffError('STORE_UNAVAILABLE', 'The state store is closed'));
    return this.pool.openSession(onError);
  }

  /** Runs `fn` with this store's pool; for backups and leases, which need engine-level access. */
  async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new HandoffError('STORE_UNAVAILABLE', 'The state store is closed');
    const client = await this.pool.connect();
    try {
      return await fn(client);
    } catch (e) {
      this.pool.failed(null, e);
      throw e;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Commits already queued finish first: their callers were promised an answer.
    await this.tail;
    await this.pool.end();
  }

  /** A consistent view across several queries: one REPEATABLE READ, read-only transaction. */
  private async readOnly<T>(fn: (q: <R>(sql: string, params?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
    return this.guardRead(async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const result = await fn(async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[]);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        this.pool.failed(null, e);
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    });
  }

  private async getDoc<T>(sql: string, id: string): Promise<T | undefined> {
    const [row] = await this.query<DocRow>(sql, [id]);
    return row ? fromDoc<T>(row) : undefined;
  }

  private async docs<T>(sql: string, params: unknown[]): Promise<T[]> {
    return fromDocs<T>(await this.query<DocRow>(sql, params));
  }

  private query<R>(sql: string, params: unknown[]): Promise<R[]> {
    return this.guardRead(async () => (await this.pool.query(sql, params)).rows as R[]);
  }

  private async guardRead<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new HandoffError('STORE_UNAVAILABLE', 'The state store is closed');
    try {
      return await fn();
    } catch (e) {
      throw new HandoffError('STORE_UNAVAILABLE', READ_FAILED, { cause: messageOf(e) });
    }
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
