/** Backups of the PostgreSQL store: one REPEATABLE READ snapshot for the copy, raw rows for restore. */
import pg from 'pg';
import { HandoffError } from '../../core/errors.js';
import { selectedUrl } from '../postgres/connector.js';
import { PostgresStore } from '../postgres/pg-store.js';
import { connectionConfig, redactUrl } from '../postgres/url.js';
import type { BackupSource, RestoreTarget } from './engine.js';
import { NotBackedUp, type Row } from './format.js';
import { checkColumns } from './sqlite.js';

const PAGE = 5_000;

async function connect(url: string): Promise<pg.Client> {
  let client: pg.Client | undefined;
  try {
    client = new pg.Client(connectionConfig(await selectedUrl(url)));
    await client.connect();
    return client;
  } catch (e) {
    await client?.end().catch(() => undefined);
    throw new HandoffError('STORE_UNAVAILABLE', `Cannot reach the PostgreSQL store at ${redactUrl(url)}`, { url: redactUrl(url), cause: e instanceof Error ? e.message : String(e) });
  }
}

async function tablesOf(client: pg.Client): Promise<Map<string, Set<string>>> {
  const { rows } = await client.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position`,
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) out.set(r.table_name, (out.get(r.table_name) ?? new Set()).add(r.column_name));
  return out;
}

/**
 * Every table read in one REPEATABLE READ, read-only transaction: the state at one instant,
 * while the control plane keeps committing. Pages by primary key order (the first column), so
 * memory stays bounded by a page; the snapshot makes paging exact.
 */
export async function postgresSource(url: string): Promise<BackupSource> {
  const client = await connect(url);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const tables = await tablesOf(client);
  const version = tables.has('schema_migrations') ? (await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0 : 0;
  return {
    header: { source: 'postgres', schemaVersion: version },
    tables: () => Promise.resolve([...tables.keys()].filter((t) => !NotBackedUp.has(t))),
    rows: async function* (table) {
      for (let offset = 0; ; offset += PAGE) {
        const { rows } = await client.query<Row>(`SELECT * FROM "${table}" ORDER BY 1 LIMIT ${PAGE} OFFSET ${offset}`);
        yield* rows;
        if (rows.length < PAGE) return;
      }
    },
    close: async () => {
      await client.query('COMMIT').catch(() => undefined);
      await client.end();
    },
  };
}

/** An empty PostgreSQL store (created and migrated if need be). */
export async function postgresTarget(url: string): Promise<RestoreTarget> {
  await (await PostgresStore.open(url)).close();
  const client = await connect(url);
  const columns = await tablesOf(client);
  return {
    tables: () => Promise.resolve([...columns.keys()].filter((t) => !NotBackedUp.has(t))),
    isEmpty: async (tables) => {
      for (const t of tables) if ((await client.query(`SELECT 1 FROM "${t}" LIMIT 1`)).rowCount) return false;
      return true;
    },
    begin: async () => void (await client.query('BEGIN')),
    insert: async (table, row) => {
      const names = Object.keys(row);
      checkColumns(table, names, columns.get(table));
      await client.query(
        `INSERT INTO "${table}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
        names.map((n) => row[n]),
      );
    },
    commit: async () => {
      // Rows kept their ids (event seqs): move each identity past the largest restored one.
      const { rows } = await client.query<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'`,
      );
      for (const { table_name: t, column_name: c } of rows) {
        await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), max("${c}")) FROM "${t}" HAVING max("${c}") IS NOT NULL`, [`"${t}"`, c]);
      }
      await client.query('COMMIT');
    },
    rollback: async () => void (await client.query('ROLLBACK')),
    close: () => client.end(),
  };
}
