/**
 * A commit batch → a few multi-row SQL statements. Sending a group commit of N allocations as
 * 3N single-row statements would cost 3N round trips inside the transaction; grouping by table
 * costs one per table. Pure: no I/O, so the equivalence with applying the mutations one by one
 * is a plain table test (batch.test.ts).
 *
 * Reordering is safe because, between two deletes, a batch holds only upserts and appends:
 * upserts to different tables commute, upserts of one key reduce to the last one, and appends
 * keep their order (WITH ORDINALITY … ORDER BY), so events get seqs in batch order. A delete
 * (an expiry, a webhook's removal, retention) is a barrier: what comes before it is flushed first.
 */
import type { Mutation } from '../port.js';
import {
  buildRow,
  deliveryRow,
  eventRow,
  fleetRow,
  idempotencyRow,
  migrationTokenRow,
  releasePlanRow,
  rolloutRow,
  serverRow,
  sessionRow,
} from '../sqlite/rows.js';

export interface Statement {
  text: string;
  values: unknown[];
}

type Column = readonly [name: string, type: 'text' | 'bigint' | 'smallint'];

interface PutSpec {
  table: string;
  /** The first `keyColumns` (default 1) columns are the primary key. */
  columns: readonly [Column, ...Column[]];
  keyColumns?: number;
  row: (m: Mutation) => Record<string, unknown>;
}

const text = (n: string): Column => [n, 'text'];
const big = (n: string): Column => [n, 'bigint'];
const flag = (n: string): Column => [n, 'smallint'];

/** Every upsert kind: its table, its columns (as in migrations.ts) and its row (as SQLite's, rows.ts). */
const Puts: Partial<Record<Mutation['kind'], PutSpec>> = {
  putBuild: { table: 'builds', columns: [text('id'), big('created_at'), text('doc')], row: (m) => buildRow(pick(m, 'putBuild').build) },
  putFleet: { table: 'fleets', columns: [text('name'), text('doc')], row: (m) => fleetRow(pick(m, 'putFleet').fleet) },
  putServer: {
    table: 'servers', columns: [text('id'), text('fleet'), flag('terminal'), big('created_at'), text('doc')],
    row: (m) => serverRow(pick(m, 'putServer').server),
  },
  putSession: {
    table: 'sessions',
    columns: [text('id'), text('fleet'), text('server'), text('player_id'), flag('open'), big('opened_at'), big('closed_at'), text('doc')],
    row: (m) => sessionRow(pick(m, 'putSession').session),
  },
  putRollout: {
    table: 'rollouts', columns: [text('id'), text('fleet'), flag('terminal'), big('created_at'), text('doc')],
    row: (m) => rolloutRow(pick(m, 'putRollout').rollout),
  },
  putIdempotency: {
    table: 'idempotency', columns: [text('key'), text('fleet'), big('expires_at'), text('doc')],
    row: (m) => idempotencyRow(pick(m, 'putIdempotency').record),
  },
  putMeta: { table: 'meta', columns: [text('key'), text('value')], row: (m) => { const p = pick(m, 'putMeta'); return { key: p.key, value: p.value }; } },
  putMigrationToken: {
    table: 'migration_tokens', columns: [text('id'), text('fleet'), big('expires_at'), text('doc')],
    row: (m) => migrationTokenRow(pick(m, 'putMigrationToken').token),
  },
  putReleasePlan: {
    table: 'release_plans', columns: [text('name'), flag('terminal'), big('created_at'), text('doc')],
    row: (m) => releasePlanRow(pick(m, 'putReleasePlan').release),
  },
  putEnvironment: {
    table: 'environments', columns: [text('name'), text('doc')],
    row: (m) => { const e = pick(m, 'putEnvironment').environment; return { name: e.name, doc: JSON.stringify(e) }; },
  },
  putEnvSnapshot: {
    table: 'env_snapshots', columns: [text('environment'), big('number'), text('doc')], keyColumns: 2,
    row: (m) => { const s = pick(m, 'putEnvSnapshot').snapshot; return { environment: s.environment, number: s.number, doc: JSON.stringify(s) }; },
  },
  putWebhook: {
    table: 'webhooks', columns: [text('name'), text('doc')],
    row: (m) => { const w = pick(m, 'putWebhook').webhook; return { name: w.name, doc: JSON.stringify(w) }; },
  },
  putHost: {
    table: 'hosts', columns: [text('id'), text('doc')],
    row: (m) => { const h = pick(m, 'putHost').host; return { id: h.id, doc: JSON.stringify(h) }; },
  },
  putDelivery: {
    table: 'webhook_deliveries',
    columns: [text('id'), text('webhook'), flag('pending'), big('next_attempt_at'), big('created_at'), big('seq'), text('doc')],
    row: (m) => deliveryRow(pick(m, 'putDelivery').delivery),
  },
};

/**
 * The deletes: each is a barrier (what comes before it is written first, what comes after it
 * after), so a put and a delete of the same key keep their order.
 */
function deleteOf(m: Mutation): Statement | null {
  switch (m.kind) {
    // expiresAt <= before: the same boundary `load(now)` uses.
    case 'expireIdempotency': return { text: 'DELETE FROM idempotency WHERE expires_at <= $1', values: [m.before] };
    case 'expireMigrationTokens': return { text: 'DELETE FROM migration_tokens WHERE expires_at <= $1', values: [m.before] };
    case 'deleteWebhook': return { text: 'DELETE FROM webhooks WHERE name = $1', values: [m.name] };
    case 'deleteEvents': return { text: 'DELETE FROM events WHERE seq <= $1', values: [m.throughSeq] };
    // `open = 0` in the statement itself: an id of an open session is never deleted.
    case 'deleteClosedSessions': return { text: 'DELETE FROM sessions WHERE id = ANY($1::text[]) AND open = 0', values: [[...m.ids]] };
    default: return null;
  }
}

const EventColumns: readonly Column[] = [big('at'), text('fleet'), text('kind'), text('subject'), text('doc')];

/**
 * The statements that apply `mutations` in order. Throws (before any SQL runs) on an unknown
 * kind or a document that cannot be serialised, so a bad batch never reaches the database.
 */
export function planBatch(mutations: readonly Mutation[]): Statement[] {
  const out: Statement[] = [];
  let puts = new Map<PutSpec, Map<string, Record<string, unknown>>>();
  let events: Record<string, unknown>[] = [];
  const flush = (): void => {
    for (const [spec, rows] of puts) out.push(upsertMany(spec, [...rows.values()]));
    if (events.length > 0) out.push(appendMany(events));
    puts = new Map();
    events = [];
  };
  for (const m of mutations) {
    if (m.kind === 'appendEvent') {
      events.push(eventRow(m.event));
      continue;
    }
    const barrier = deleteOf(m);
    if (barrier) {
      flush();
      out.push(barrier);
      continue;
    }
    const spec = Puts[m.kind];
    if (!spec) throw new Error(`Unknown mutation kind: ${String((m as { kind?: unknown }).kind)}`);
    const row = spec.row(m);
    const rows = puts.get(spec) ?? new Map<string, Record<string, unknown>>();
    rows.set(JSON.stringify(keyNames(spec).map((n) => row[n])), row);
    puts.set(spec, rows);
  }
  flush();
  return out;
}

function upsertMany(spec: PutSpec, rows: Record<string, unknown>[]): Statement {
  const names = spec.columns.map(([n]) => n);
  const keys = keyNames(spec);
  const updates = names.slice(keys.length).map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  return {
    text: `INSERT INTO ${spec.table} (${names.join(', ')}) SELECT * FROM ${unnest(spec.columns)} ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${updates}`,
    values: spec.columns.map(([n]) => rows.map((r) => r[n])),
  };
}

function appendMany(rows: Record<string, unknown>[]): Statement {
  const names = EventColumns.map(([n]) => n).join(', ');
  const qualified = EventColumns.map(([n]) => `e.${n}`).join(', ');
  return {
    text: `INSERT INTO events (${names}) SELECT ${qualified} FROM ${unnest(EventColumns)} WITH ORDINALITY AS e(${names}, ord) ORDER BY ord`,
    values: EventColumns.map(([n]) => rows.map((r) => r[n])),
  };
}

function keyNames(spec: PutSpec): string[] {
  return spec.columns.slice(0, spec.keyColumns ?? 1).map(([n]) => n);
}

function unnest(columns: readonly Column[]): string {
  return `unnest(${columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;
}

function pick<K extends Mutation['kind']>(m: Mutation, kind: K): Extract<Mutation, { kind: K }> {
  if (m.kind !== kind) throw new Error(`expected a ${kind} mutation, got ${m.kind}`);
  return m as Extract<Mutation, { kind: K }>;
}
