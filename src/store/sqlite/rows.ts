import type { Build } from '../../builds/model.js';
import type { NewEvent, StoredEvent } from '../../core/events.js';
import { isTerminal, type Fleet, type GameServer } from '../../fleet/model.js';
import { isTerminalRelease, type ReleaseRecord } from '../../release/model.js';
import { isTerminalPhase, type Rollout } from '../../rollout/model.js';
import type { MigrationTokenRecord, Session } from '../../session/model.js';
import type { Delivery } from '../../notify/model.js';
import type { IdempotencyRecord } from '../port.js';

/**
 * Records ↔ rows. The document is the truth; every other column is derived from it here, on
 * every write, so an upsert that changes a server's state also moves it in and out of the
 * indexes `load` uses.
 */

export interface DocRow {
  doc: string;
}

export interface EventRow extends DocRow {
  seq: number;
}

export function buildRow(b: Build) {
  return { id: b.id, created_at: b.createdAt, doc: JSON.stringify(b) };
}

export function fleetRow(f: Fleet) {
  return { name: f.name, doc: JSON.stringify(f) };
}

export function serverRow(s: GameServer) {
  return {
    id: s.id,
    fleet: s.fleet,
    terminal: isTerminal(s.state) ? 1 : 0,
    created_at: s.createdAt,
    doc: JSON.stringify(s),
  };
}

export function sessionRow(s: Session) {
  return {
    id: s.id,
    fleet: s.fleet,
    server: s.server,
    player_id: s.playerId,
    open: s.state !== 'Closed' ? 1 : 0,
    opened_at: s.openedAt,
    closed_at: s.state === 'Closed' ? (s.closedAt ?? 0) : null,
    doc: JSON.stringify(s),
  };
}

export function rolloutRow(r: Rollout) {
  return {
    id: r.id,
    fleet: r.fleet,
    terminal: isTerminalPhase(r.phase) ? 1 : 0,
    created_at: r.createdAt,
    doc: JSON.stringify(r),
  };
}

export function idempotencyRow(r: IdempotencyRecord) {
  return { key: r.key, fleet: r.fleet, expires_at: r.expiresAt, doc: JSON.stringify(r) };
}

export function migrationTokenRow(t: MigrationTokenRecord) {
  return { id: t.id, fleet: t.fleet, expires_at: t.expiresAt, doc: JSON.stringify(t) };
}

export function releasePlanRow(r: ReleaseRecord) {
  return { name: r.name, terminal: isTerminalRelease(r.phase) ? 1 : 0, created_at: r.createdAt, doc: JSON.stringify(r) };
}

export function deliveryRow(d: Delivery) {
  return {
    id: d.id, webhook: d.webhook, pending: d.state === 'pending' ? 1 : 0,
    next_attempt_at: d.nextAttemptAt, created_at: d.createdAt, seq: d.seq, doc: JSON.stringify(d),
  };
}

export function eventRow(e: NewEvent) {
  return { at: e.at, fleet: e.fleet, kind: e.kind, subject: e.subject, doc: JSON.stringify(e) };
}

/** Documents were written by this module from typed records, so they are trusted on the way out. */
export function fromDoc<T>(row: DocRow): T {
  return JSON.parse(row.doc) as T;
}

export function fromDocs<T>(rows: DocRow[]): T[] {
  return rows.map((r) => fromDoc<T>(r));
}

export function toStoredEvent(row: EventRow): StoredEvent {
  // seq comes from the column: it is assigned by the database, never part of the document.
  return { ...fromDoc<NewEvent>(row), seq: row.seq };
}
