import type Database from 'better-sqlite3';
import { HandoffError } from '../../core/errors.js';
import { checkSteps, compatibleFromAt, decideSchema } from '../schema-compat.js';

/**
 * One schema step. Versions start at 1 and increase by one; a released step never changes.
 * A step is an *expand* step unless it declares `contract` (store/schema-compat.ts).
 */
export interface Migration {
  version: number;
  sql: string;
  /** A contract step: the oldest schema version whose code still runs after it. */
  contract?: { compatibleFrom: number };
}

/**
 * The schema, in order. Each record is stored whole as a JSON `doc`; the other columns exist
 * only so queries can filter and sort without parsing documents, and are derived from the
 * document on every write (see `rows.ts`).
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE builds (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE INDEX builds_by_created ON builds (created_at DESC, id DESC);

      CREATE TABLE fleets (
        name TEXT PRIMARY KEY,
        doc TEXT NOT NULL
      ) STRICT;

      CREATE TABLE servers (
        id TEXT PRIMARY KEY,
        fleet TEXT NOT NULL,
        terminal INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE INDEX servers_by_fleet ON servers (fleet, terminal, created_at DESC, id DESC);
      CREATE INDEX servers_live ON servers (created_at DESC, id DESC) WHERE terminal = 0;

      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        fleet TEXT NOT NULL,
        server TEXT NOT NULL,
        player_id TEXT NOT NULL,
        open INTEGER NOT NULL,
        opened_at INTEGER NOT NULL,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE INDEX sessions_by_fleet ON sessions (fleet, open, opened_at DESC, id DESC);
      -- Partial: closed history grows without bound, but load() only ever wants open sessions.
      CREATE INDEX sessions_open ON sessions (opened_at DESC, id DESC) WHERE open = 1;
      CREATE INDEX sessions_by_player ON sessions (player_id, opened_at DESC, id DESC);
      CREATE INDEX sessions_by_server ON sessions (server, opened_at DESC, id DESC);

      CREATE TABLE rollouts (
        id TEXT PRIMARY KEY,
        fleet TEXT NOT NULL,
        terminal INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE INDEX rollouts_by_fleet ON rollouts (fleet, created_at DESC, id DESC);
      CREATE INDEX rollouts_active ON rollouts (created_at DESC, id DESC) WHERE terminal = 0;

      CREATE TABLE idempotency (
        key TEXT PRIMARY KEY,
        fleet TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE INDEX idempotency_by_expiry ON idempotency (expires_at);

      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      -- AUTOINCREMENT: a seq is never reused, so a reader following afterSeq never skips one.
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        fleet TEXT,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE INDEX events_by_fleet ON events (fleet, seq);
    `,
  },
  {
    // Fleets gained `partyPolicy`. Those stored before it get the default, so every stored
    // fleet matches the model and no reader has to guess at a missing field.
    version: 2,
    sql: `UPDATE fleets SET doc = json_set(doc, '$.partyPolicy', 'together') WHERE json_type(doc, '$.partyPolicy') IS NULL;`,
  },
  {
    // Migration tokens (gentle migration): issued at a release's migration deadline, marked
    // used in the commit of the session they place, deleted once expired.
    version: 3,
    sql: `
      CREATE TABLE migration_tokens (
        id TEXT PRIMARY KEY,
        fleet TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE INDEX migration_tokens_by_expiry ON migration_tokens (expires_at);
    `,
  },
  {
    // Release plans (several fleets, one release): the plan and its run, one document per name.
    version: 4,
    sql: `
      CREATE TABLE release_plans (
        name TEXT PRIMARY KEY,
        terminal INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE INDEX release_plans_by_created ON release_plans (created_at DESC, name DESC);
    `,
  },
  {
    // Environments with their numbered snapshots, and webhooks with their delivery outbox.
    version: 5,
    sql: `
      CREATE TABLE environments (
        name TEXT PRIMARY KEY,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE TABLE env_snapshots (
        environment TEXT NOT NULL,
        number INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (environment, number)
      ) STRICT;
      CREATE TABLE webhooks (
        name TEXT PRIMARY KEY,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        webhook TEXT NOT NULL,
        pending INTEGER NOT NULL,
        next_attempt_at INTEGER,
        created_at INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        doc TEXT NOT NULL
      ) STRICT;
      CREATE INDEX deliveries_by_webhook ON webhook_deliveries (webhook, created_at DESC, seq DESC);
      -- Partial: the outbox reads only what is still to be sent.
      CREATE INDEX deliveries_pending ON webhook_deliveries (next_attempt_at, id) WHERE pending = 1;
    `,
  },
  {
    // Retention removes closed sessions oldest-closed first and counts them: a column and a
    // partial index over closed sessions only, so neither reads the open ones or parses documents.
    version: 6,
    sql: `
      ALTER TABLE sessions ADD COLUMN closed_at INTEGER;
      UPDATE sessions SET closed_at = json_extract(doc, '$.closedAt') WHERE open = 0;
      CREATE INDEX sessions_closed ON sessions (closed_at, id) WHERE open = 0;
    `,
  },
  {
    // The host registry (src/hosts): one document per host an agent registered.
    version: 7,
    sql: `
      CREATE TABLE hosts (
        id TEXT PRIMARY KEY,
        doc TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    // Each server's open-session count at a cold start (loadWithoutSessions): a covering scan
    // of this partial index, not of every session ever kept.
    version: 8,
    sql: `CREATE INDEX sessions_open_by_server ON sessions (server) WHERE open = 1;`,
  },
  {
    // Every allocation inserts an open session, and each index it touches is one more B-tree
    // page written per group commit. A server's open sessions are already indexed (8), so the
    // index of all its sessions becomes one of its closed sessions only, which an allocation
    // does not touch (session-list.ts says which index serves which listing). An expand step:
    // older code runs the same queries, and a server's sessions listed without `open` scan.
    version: 9,
    sql: `
      CREATE INDEX sessions_closed_by_server ON sessions (server, opened_at DESC, id DESC) WHERE open = 0;
      DROP INDEX sessions_by_server;
    `,
  },
];

/** The newest schema version this code knows. */
export function latestVersion(list: readonly Migration[] = migrations): number {
  return list.at(-1)?.version ?? 0;
}

/**
 * Brings `db` up to the newest version in `list`, all in one IMMEDIATE transaction so two
 * processes opening the same file cannot both migrate. On a schema newer than `list` knows it
 * runs as it is when every newer step only expanded (each step records the oldest version that
 * still runs on it, `compatible_from`), and refuses with STORE_SCHEMA_TOO_NEW otherwise: an
 * older binary writing to a contracted schema could silently lose data.
 * Returns the schema version of the database.
 */
export function applyMigrations(db: Database.Database, list: readonly Migration[] = migrations): number {
  checkSteps(list);
  const known = latestVersion(list);
  const run = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      applied_at INTEGER NOT NULL,
      compatible_from INTEGER
    ) STRICT`);
    // Databases made before the column existed: nullable, so a 0.1.0 binary still inserts its rows.
    const columns = db.prepare('PRAGMA table_info(schema_migrations)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'compatible_from')) db.exec('ALTER TABLE schema_migrations ADD COLUMN compatible_from INTEGER');
    const row = db.prepare('SELECT version, compatible_from AS c FROM schema_migrations ORDER BY version DESC LIMIT 1').get() as { version: number; c: number | null } | undefined;
    const current = row?.version ?? 0;
    const decision = decideSchema({ version: current, compatibleFrom: row?.c ?? null }, known);
    if (decision.action === 'refuse') throw tooNew(current, known, decision.compatibleFrom, db.name);
    if (decision.action === 'run-newer') return current;
    const record = db.prepare('INSERT INTO schema_migrations (version, applied_at, compatible_from) VALUES (?, ?, ?)');
    for (const m of list) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, Date.now(), compatibleFromAt(list, m.version));
    }
    // Steps recorded before the column existed say nothing yet: this code knows what they were.
    const fill = db.prepare('UPDATE schema_migrations SET compatible_from = ? WHERE version = ? AND compatible_from IS NULL');
    for (const m of list) fill.run(compatibleFromAt(list, m.version), m.version);
    return Math.max(current, known);
  });
  return run.immediate();
}

function tooNew(current: number, known: number, compatibleFrom: number | null, path: string): HandoffError {
  const why = compatibleFrom === null ? 'records no compatibility with older versions' : `needs a Handoff that knows version ${compatibleFrom} or newer`;
  return new HandoffError(
    'STORE_SCHEMA_TOO_NEW',
    `Database schema version ${current} is newer than this Handoff knows (${known}) and ${why}; run a newer Handoff against ${path}`,
    { path, schemaVersion: current, knownVersion: known, compatibleFrom },
  );
}
