import Database from 'better-sqlite3';
import type { Build } from '../../builds/model.js';
import type { StoredEvent } from '../../core/events.js';
import { HandoffError, isHandoffError } from '../../core/errors.js';
import { makePrivateFile, tightenFile } from '../../core/private-files.js';
import type { Fleet, GameServer } from '../../fleet/model.js';
import type { ReleaseRecord } from '../../release/model.js';
import type { Rollout } from '../../rollout/model.js';
import type { MigrationTokenRecord, Session } from '../../session/model.js';
import type {
  DeliveryQuery,
  EnvSnapshotQuery,
  ClosedSessionQuery,
  EventQuery,
  IdempotencyRecord,
  Mutation,
  Page,
  ReleaseQuery,
  RetentionStats,
  RolloutQuery,
  ServerQuery,
  SessionQuery,
  LazySessionReads,
  Snapshot,
  StateStore,
} from '../port.js';
import { Checkpointer } from './checkpoint.js';
import { resolveCheckpointPolicy, type CheckpointPolicy } from './checkpoint-policy.js';
import { applyMigrations } from './migrations.js';
import { ExtraTables } from './extras.js';
import type { Environment, EnvSnapshot } from '../../environment/model.js';
import type { Delivery, Webhook } from '../../notify/model.js';
import type { Host } from '../../hosts/model.js';
import { sessionListSql } from './session-list.js';
import { upsert, where } from './sql.js';
import { readDurability, WalSync, type Fsync, type SqliteDurability } from './wal-sync.js';
import {
  buildRow,
  eventRow,
  fleetRow,
  fromDoc,
  idempotencyRow,
  migrationTokenRow,
  releasePlanRow,
  rolloutRow,
  serverRow,
  sessionRow,
  toStoredEvent,
  type DocRow,
  type EventRow,
} from './rows.js';

type Statement = Database.Statement;

const READ_FAILED = 'The state store could not be read';

export interface SqliteStoreOptions {
  /** How the WAL is fsynced after each commit; `fs.fsync` unless a test observes it. */
  fsync?: Fsync;
  /**
   * When a worker thread checkpoints the WAL (see checkpoint-policy.ts); `false` for none, as a
   * test that inspects the WAL needs. Ignored for an in-memory database.
   */
  checkpoint?: Partial<CheckpointPolicy> | false;
  /**
   * SQLite's page cache for this connection, in MiB (SQLite's default is 2). A bulk writer of
   * millions of rows raises it: the session indexes are keyed by random ids, and with a small
   * cache nearly every insert reads its index pages back from the file.
   */
  cacheMb?: number;
}

/**
 * The embedded StateStore: one SQLite file in WAL mode. better-sqlite3 is synchronous, so each
 * call runs to completion before it returns its promise; concurrent callers are serialised by
 * the event loop and a batch is never interleaved with another.
 */
export class SqliteStore implements StateStore, LazySessionReads {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly writes: Record<Exclude<Mutation['kind'], 'putEnvironment' | 'putEnvSnapshot' | 'putWebhook' | 'deleteWebhook' | 'putDelivery' | 'putHost'>, Statement>;
  /**
   * A server's document rewritten in place when none of its indexed columns changed. An upsert
   * names every column in its SET, so SQLite rewrites both server indexes even when nothing in
   * them changed; most puts of a server (spawned, Ready, Active, Ready again) change only the
   * document, and skipping the indexes makes them ~2.5× cheaper (bench/hosts.ts starts 100,000).
   */
  private readonly rewriteServerDoc: Statement;
  /** Environments, snapshots, webhooks and deliveries (see `extras.ts`). */
  private readonly extras: ExtraTables;
  private readonly byId: Record<'build' | 'fleet' | 'server' | 'session' | 'rollout' | 'releasePlan', Statement>;
  /** Prepared list queries keyed by their SQL; there are only a few filter combinations. */
  private readonly queries = new Map<string, Statement>();
  private readonly plucked = new Map<string, Statement>();
  /** Each server's open sessions, over the partial index `sessions_open_by_server` (migration 8). */
  private readonly countOpen: Statement;
  private readonly applyBatch: Database.Transaction<(mutations: readonly Mutation[]) => void>;
  private readonly readSnapshot: Database.Transaction<(now: number, sessions: boolean) => Snapshot>;
  private readonly readCounts: Database.Transaction<(now: number) => { snapshot: Snapshot; openCounts: Map<string, number> }>;

  /**
   * Opens (creating if needed) and migrates the database at `path`; `':memory:'` for a
   * throwaway store. Fails with STORE_UNAVAILABLE when the file cannot be opened or its
   * schema is newer than this code.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    let db: Database.Database | undefined;
    try {
      if (path !== ':memory:' && path !== '') {
        // Secrets live here. SQLite would create the file 0644, and gives -wal and -shm the
        // database file's mode, so creating it 0600 first covers all three; older ones are tightened.
        makePrivateFile(path);
        for (const extra of ['-wal', '-shm']) tightenFile(`${path}${extra}`);
      }
      db = new Database(path);
      // Set first: the pragmas and migrations below may wait on another process's lock.
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      // NORMAL: SQLite writes the WAL but does not fsync it inside COMMIT; `commit` fsyncs the
      // WAL itself on libuv's thread pool before resolving. Same guarantee as FULL (a resolved
      // commit survives kill -9 and power loss), but the event loop keeps serving while the
      // disk syncs, and the next group commit grows meanwhile.
      db.pragma('synchronous = NORMAL');
      // Checkpoints run on a worker thread (checkpoint.ts), not inside COMMIT on the event loop.
      db.pragma('wal_autocheckpoint = 0');
      if (options.cacheMb !== undefined) db.pragma(`cache_size = ${-Math.round(options.cacheMb * 1024)}`);
      applyMigrations(db);
      const onDisk = path !== ':memory:' && path !== '';
      const policy = options.checkpoint === false ? null : resolveCheckpointPolicy(options.checkpoint);
      return new SqliteStore(
        db,
        onDisk ? new WalSync(path, options.fsync) : null,
        onDisk && policy ? new Checkpointer(path, policy) : null,
      );
    } catch (e) {
      db?.close();
      if (isHandoffError(e)) throw e;
      throw new HandoffError('STORE_UNAVAILABLE', `Cannot open the state store at ${path}`, {
        path,
        cause: messageOf(e),
      });
    }
  }

  private constructor(
    db: Database.Database,
    /** Null for an in-memory database, which has nothing to make durable. */
    private readonly wal: WalSync | null,
    private readonly checkpointer: Checkpointer | null = null,
  ) {
    this.db = db;
    this.writes = {
      putBuild: db.prepare(upsert('builds', ['id', 'created_at', 'doc'])),
      putFleet: db.prepare(upsert('fleets', ['name', 'doc'])),
      putServer: db.prepare(upsert('servers', ['id', 'fleet', 'terminal', 'created_at', 'doc'])),
      putSession: db.prepare(
        upsert('sessions', ['id', 'fleet', 'server', 'player_id', 'open', 'opened_at', 'closed_at', 'doc']),
      ),
      putRollout: db.prepare(upsert('rollouts', ['id', 'fleet', 'terminal', 'created_at', 'doc'])),
      putIdempotency: db.prepare(upsert('idempotency', ['key', 'fleet', 'expires_at', 'doc'])),
      // Expired at `before` means expiresAt <= before, the same boundary `load(now)` uses.
      expireIdempotency: db.prepare('DELETE FROM idempotency WHERE expires_at <= ?'),
      putMeta: db.prepare(upsert('meta', ['key', 'value'])),
      putMigrationToken: db.prepare(upsert('migration_tokens', ['id', 'fleet', 'expires_at', 'doc'])),
      expireMigrationTokens: db.prepare('DELETE FROM migration_tokens WHERE expires_at <= ?'),
      putReleasePlan: db.prepare(upsert('release_plans', ['name', 'terminal', 'created_at', 'doc'])),
      appendEvent: db.prepare(
        'INSERT INTO events (at, fleet, kind, subject, doc) VALUES (@at, @fleet, @kind, @subject, @doc)',
      ),
      deleteEvents: db.prepare('DELETE FROM events WHERE seq <= ?'),
      // `open = 0` in the statement itself: an id of an open session is never deleted.
      deleteClosedSessions: db.prepare('DELETE FROM sessions WHERE id = ? AND open = 0'),
    };
    this.rewriteServerDoc = db.prepare('UPDATE servers SET doc = @doc WHERE id = @id AND fleet = @fleet AND terminal = @terminal AND created_at = @created_at');
    this.extras = new ExtraTables(db, (sql, params) => this.docs(sql, params));
    this.countOpen = db.prepare('SELECT server, COUNT(*) AS n FROM sessions WHERE open = 1 GROUP BY server');
    this.byId = {
      build: db.prepare('SELECT doc FROM builds WHERE id = ?'),
      fleet: db.prepare('SELECT doc FROM fleets WHERE name = ?'),
      server: db.prepare('SELECT doc FROM servers WHERE id = ?'),
      session: db.prepare('SELECT doc FROM sessions WHERE id = ?'),
      rollout: db.prepare('SELECT doc FROM rollouts WHERE id = ?'),
      releasePlan: db.prepare('SELECT doc FROM release_plans WHERE name = ?'),
    };
    // db.transaction rolls back on any throw, so a bad mutation anywhere leaves nothing behind.
    this.applyBatch = db.transaction((mutations: readonly Mutation[]) => {
      for (const m of mutations) this.apply(m);
    });
    // A read transaction, so the snapshot is consistent even if another process writes meanwhile.
    this.readSnapshot = db.transaction((now: number, sessions: boolean): Snapshot => ({
      builds: this.docs<Build>('SELECT doc FROM builds ORDER BY created_at DESC, id DESC'),
      fleets: this.docs<Fleet>('SELECT doc FROM fleets ORDER BY name'),
      servers: this.docs<GameServer>(
        'SELECT doc FROM servers WHERE terminal = 0 ORDER BY created_at DESC, id DESC',
      ),
      openSessions: sessions ? this.docs<Session>('SELECT doc FROM sessions WHERE open = 1 ORDER BY opened_at DESC, id DESC') : [],
      activeRollouts: this.docs<Rollout>(
        'SELECT doc FROM rollouts WHERE terminal = 0 ORDER BY created_at DESC, id DESC',
      ),
      idempotency: this.docs<IdempotencyRecord>(
        'SELECT doc FROM idempotency WHERE expires_at > ? ORDER BY expires_at, key',
        [now],
      ),
      migrationTokens: this.docs<MigrationTokenRecord>(
        'SELECT doc FROM migration_tokens WHERE expires_at > ? ORDER BY expires_at, id',
        [now],
      ),
      meta: Object.fromEntries(
        this.rows<{ key: string; value: string }>('SELECT key, value FROM meta ORDER BY key').map(
          (r) => [r.key, r.value],
        ),
      ),
    }));
    // One read transaction: no session can open or close between the snapshot and the counts.
    this.readCounts = db.transaction((now: number) => {
      const snapshot = this.readSnapshot(now, false);
      const openCounts = new Map<string, number>();
      // Iterated as raw rows: 100,000 servers, no array of row objects built first.
      for (const row of this.countOpen.raw().iterate()) {
        const [server, n] = row as [string, number];
        openCounts.set(server, n);
      }
      return { snapshot, openCounts };
    });
  }

  async commit(mutations: readonly Mutation[]): Promise<void> {
    // An empty batch would still cost an fsync.
    if (mutations.length === 0) return;
    await guard(undefined, () => this.applyBatch.immediate(mutations));
    if (this.wal === null) return;
    try {
      await this.wal.sync();
      this.checkpointer?.noteCommit();
    } catch (e) {
      throw new HandoffError('STORE_UNAVAILABLE', 'The state store could not sync to disk; the outcome of this change is unknown', { cause: messageOf(e) });
    }
  }

  load(now: number): Promise<Snapshot> {
    return guard(READ_FAILED, () => this.readSnapshot(now, true));
  }

  loadWithoutSessions(now: number): Promise<{ snapshot: Snapshot; openCounts: Map<string, number> }> {
    return guard(READ_FAILED, () => {
      // Memory-mapped for this one read: the servers come in index order, scattered over the
      // file, and through SQLite's 2 MB page cache each miss was a read() — 100,000 servers took
      // ~0.7 s here, mapped ~0.4 s. Unmapped after, so the sessions streamed in next (the whole
      // file) do not stay resident as mapped pages.
      const before = Number(this.db.pragma('mmap_size', { simple: true }));
      this.db.pragma(`mmap_size = ${COLD_READ_MMAP_BYTES}`);
      try {
        return this.readCounts(now);
      } finally {
        this.db.pragma(`mmap_size = ${before}`);
      }
    });
  }

  openSessionsAfter(after: { openedAt: number; id: string } | null, limit: number): Promise<Session[]> {
    // Ascending over the partial index `sessions_open` (read backwards): a keyset page, so each
    // chunk costs its own rows whatever came before it.
    return guard(READ_FAILED, () => after === null
      ? this.docs<Session>('SELECT doc FROM sessions WHERE open = 1 ORDER BY opened_at, id LIMIT ?', [limit])
      : this.docs<Session>('SELECT doc FROM sessions WHERE open = 1 AND (opened_at, id) > (?, ?) ORDER BY opened_at, id LIMIT ?', [after.openedAt, after.id, limit]));
  }

  getBuild(id: string): Promise<Build | undefined> {
    return this.getDoc<Build>('build', id);
  }

  getFleet(name: string): Promise<Fleet | undefined> {
    return this.getDoc<Fleet>('fleet', name);
  }

  getServer(id: string): Promise<GameServer | undefined> {
    return this.getDoc<GameServer>('server', id);
  }

  getSession(id: string): Promise<Session | undefined> {
    return this.getDoc<Session>('session', id);
  }

  getRollout(id: string): Promise<Rollout | undefined> {
    return this.getDoc<Rollout>('rollout', id);
  }

  listBuilds(q: Page): Promise<Build[]> {
    return guard(READ_FAILED, () =>
      this.docs<Build>('SELECT doc FROM builds ORDER BY created_at DESC, id DESC LIMIT ?', [q.limit]),
    );
  }

  listServers(q: ServerQuery): Promise<GameServer[]> {
    return guard(READ_FAILED, () => {
      const w = where([
        q.fleet !== undefined ? ['fleet = ?', q.fleet] : undefined,
        q.includeTerminal ? undefined : 'terminal = 0',
      ]);
      return this.docs<GameServer>(
        `SELECT doc FROM servers${w.sql} ORDER BY created_at DESC, id DESC LIMIT ?`,
        [...w.params, q.limit],
      );
    });
  }

  listSessions(q: SessionQuery): Promise<Session[]> {
    return guard(READ_FAILED, () => {
      const { sql, params } = sessionListSql(q);
      return this.docs<Session>(sql, params);
    });
  }

  listRollouts(q: RolloutQuery): Promise<Rollout[]> {
    return guard(READ_FAILED, () => {
      const w = where([q.fleet !== undefined ? ['fleet = ?', q.fleet] : undefined]);
      return this.docs<Rollout>(
        `SELECT doc FROM rollouts${w.sql} ORDER BY created_at DESC, id DESC LIMIT ?`,
        [...w.params, q.limit],
      );
    });
  }

  listEvents(q: EventQuery): Promise<StoredEvent[]> {
    return guard(READ_FAILED, () => {
      const w = where([
        q.fleet !== undefined ? ['fleet = ?', q.fleet] : undefined,
        q.afterSeq !== undefined ? ['seq > ?', q.afterSeq] : undefined,
      ]);
      return this.rows<EventRow>(
        `SELECT seq, doc FROM events${w.sql} ORDER BY seq LIMIT ?`,
        [...w.params, q.limit],
      ).map(toStoredEvent);
    });
  }

  getReleasePlan(name: string): Promise<ReleaseRecord | undefined> {
    return this.getDoc<ReleaseRecord>('releasePlan', name);
  }

  listReleasePlans(q: ReleaseQuery): Promise<ReleaseRecord[]> {
    return guard(READ_FAILED, () => {
      const w = where([q.active ? 'terminal = 0' : undefined]);
      return this.docs<ReleaseRecord>(`SELECT doc FROM release_plans${w.sql} ORDER BY created_at DESC, name DESC LIMIT ?`, [...w.params, q.limit]);
    });
  }

  listEnvironments(): Promise<Environment[]> {
    return guard(READ_FAILED, () => this.extras.listEnvironments());
  }

  listEnvSnapshots(q: EnvSnapshotQuery): Promise<EnvSnapshot[]> {
    return guard(READ_FAILED, () => this.extras.listEnvSnapshots(q));
  }

  getEnvSnapshot(environment: string, number: number): Promise<EnvSnapshot | undefined> {
    return guard(READ_FAILED, () => this.extras.getEnvSnapshot(environment, number));
  }

  listHosts(): Promise<Host[]> {
    return guard(READ_FAILED, () => this.extras.listHosts());
  }

  listWebhooks(): Promise<Webhook[]> {
    return guard(READ_FAILED, () => this.extras.listWebhooks());
  }

  listDeliveries(q: DeliveryQuery): Promise<Delivery[]> {
    return guard(READ_FAILED, () => this.extras.listDeliveries(q));
  }

  listClosedSessions(q: ClosedSessionQuery): Promise<Session[]> {
    return guard(READ_FAILED, () => {
      const w = where([
        'open = 0',
        q.closedBefore !== undefined ? ['closed_at < ?', q.closedBefore] : undefined,
      ]);
      const after = q.after ? ' AND (closed_at, id) > (?, ?)' : '';
      const params = q.after ? [...w.params, q.after.closedAt, q.after.id] : w.params;
      return this.docs<Session>(`SELECT doc FROM sessions${w.sql}${after} ORDER BY closed_at, id LIMIT ?`, [...params, q.limit]);
    });
  }

  retentionStats(): Promise<RetentionStats> {
    return guard(READ_FAILED, () => {
      const seqs = this.rows<{ lo: number | null; hi: number | null }>('SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM events')[0];
      const closed = this.rows<{ n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE open = 0')[0];
      return { oldestEventSeq: seqs?.lo ?? null, newestEventSeq: seqs?.hi ?? null, closedSessions: closed?.n ?? 0 };
    });
  }

  /**
   * The settings of this store's own connection (`synchronous` is per connection, so another
   * connection cannot see it). Durability rests on them: see `open` and `WalSync`.
   */
  durability(): SqliteDurability {
    return readDurability(this.db);
  }

  /** The WAL checkpointer, for tests that drive it; null when there is none. */
  walCheckpointer(): Checkpointer | null {
    return this.checkpointer;
  }

  async close(): Promise<void> {
    // First, so its connection is not the last one open: closing the last connection is what
    // checkpoints and removes the WAL, and the main connection should do that.
    await this.checkpointer?.close();
    return guard('The state store could not be closed', () => {
      this.wal?.close();
      if (this.db.open) this.db.close();
    });
  }

  private apply(m: Mutation): void {
    const w = this.writes;
    switch (m.kind) {
      case 'putBuild': w.putBuild.run(buildRow(m.build)); return;
      case 'putFleet': w.putFleet.run(fleetRow(m.fleet)); return;
      case 'putServer': {
        const row = serverRow(m.server);
        if (this.rewriteServerDoc.run(row).changes === 0) w.putServer.run(row);
        return;
      }
      case 'putSession': w.putSession.run(sessionRow(m.session)); return;
      case 'putRollout': w.putRollout.run(rolloutRow(m.rollout)); return;
      case 'putIdempotency': w.putIdempotency.run(idempotencyRow(m.record)); return;
      case 'expireIdempotency': w.expireIdempotency.run(m.before); return;
      case 'putMeta': w.putMeta.run({ key: m.key, value: m.value }); return;
      case 'putMigrationToken': w.putMigrationToken.run(migrationTokenRow(m.token)); return;
      case 'expireMigrationTokens': w.expireMigrationTokens.run(m.before); return;
      case 'appendEvent': w.appendEvent.run(eventRow(m.event)); return;
      case 'putReleasePlan': w.putReleasePlan.run(releasePlanRow(m.release)); return;
      case 'putEnvironment': case 'putEnvSnapshot': case 'putWebhook': case 'deleteWebhook': case 'putDelivery': case 'putHost': this.extras.apply(m); return;
      case 'deleteEvents': w.deleteEvents.run(m.throughSeq); return;
      case 'deleteClosedSessions': for (const id of m.ids) w.deleteClosedSessions.run(id); return;
      default: {
        // Reachable from untyped callers; throwing here rolls the whole batch back.
        const kind: unknown = (m as { kind?: unknown }).kind;
        throw new Error(`Unknown mutation kind: ${String(kind)}`);
      }
    }
  }

  private getDoc<T>(table: keyof SqliteStore['byId'], id: string): Promise<T | undefined> {
    return guard(READ_FAILED, () => {
      const row = this.byId[table].get(id) as DocRow | undefined;
      return row ? fromDoc<T>(row) : undefined;
    });
  }

  private rows<R>(sql: string, params: readonly unknown[] = []): R[] {
    let stmt = this.queries.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.queries.set(sql, stmt);
    }
    return stmt.all(...params) as R[];
  }

  /**
   * Documents of a query selecting only `doc`: plucked and iterated, so a million open sessions
   * at a cold start are parsed one by one without an intermediate row object or array each.
   */
  private docs<T>(sql: string, params: readonly unknown[] = []): T[] {
    let stmt = this.plucked.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql).pluck();
      this.plucked.set(sql, stmt);
    }
    const out: T[] = [];
    for (const doc of stmt.iterate(...params)) out.push(JSON.parse(doc as string) as T);
    return out;
  }
}

/**
 * Runs synchronous database work and settles a promise with it. Every failure becomes
 * STORE_UNAVAILABLE (`message` undefined: the catalogue's "could not commit; nothing was changed").
 */
/** The mapping a cold start's read may use (SQLite maps at most the file's size). */
const COLD_READ_MMAP_BYTES = 2 ** 31;

function guard<T>(message: string | undefined, fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(new HandoffError('STORE_UNAVAILABLE', message, { cause: messageOf(e) }));
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
