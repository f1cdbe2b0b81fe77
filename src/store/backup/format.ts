/**
 * The Handoff backup file: JSON Lines, one record per line, engine-neutral so a backup of
 * either store restores into either store.
 *
 *   {"format":"handoff-backup","version":1,"source":"sqlite","schemaVersion":3,"takenAt":…}
 *   {"table":"sessions","row":{"id":"ses_…","fleet":"arena",…,"doc":"{…}"}}
 *   …
 *   {"end":true,"rows":{"builds":2,"sessions":345,…}}
 *
 * Rows are the tables' rows, column by column: both engines have the same tables and columns
 * (see the two migrations.ts), with documents as JSON text and times as epoch milliseconds.
 * The end record makes a truncated file detectable: without it, or with other counts, the
 * restore refuses the file and changes nothing.
 */
import { HandoffError } from '../../core/errors.js';

export const BackupFormat = 'handoff-backup';
export const BackupVersion = 1;

export interface BackupHeader {
  format: typeof BackupFormat;
  version: number;
  source: 'sqlite' | 'postgres';
  /** The source engine's schema version, for the operator; rows are matched by table and column. */
  schemaVersion: number;
  takenAt: number;
}

export type Row = Record<string, string | number | null>;
export type BackupLine = BackupHeader | { table: string; row: Row } | { end: true; rows: Record<string, number> };

/** Tables a backup leaves out: bookkeeping of the engine and of this process, not state. */
export const NotBackedUp: ReadonlySet<string> = new Set(['schema_migrations', 'leases', 'replicas', 'sqlite_sequence']);

export function parseHeader(line: string | undefined): BackupHeader {
  const h = parseLine(line ?? '', 1) as Partial<BackupHeader>;
  if (h.format !== BackupFormat) throw invalid('the file does not start with a Handoff backup header');
  if (h.version !== BackupVersion) throw invalid(`backup format version ${String(h.version)} is not one this Handoff reads (${BackupVersion})`);
  return h as BackupHeader;
}

export function parseLine(line: string, n: number): BackupLine {
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v === 'object' && v !== null) return v as BackupLine;
  } catch {
    // Reported below with the line number.
  }
  throw invalid(`line ${n} is not a backup record`);
}

export function invalid(why: string, details: Record<string, unknown> = {}): HandoffError {
  return new HandoffError('BACKUP_INVALID', `Not a complete Handoff backup: ${why}`, details);
}

/** Throws unless `end` is present and its counts are the rows actually read. */
export function checkEnd(end: { rows: Record<string, number> } | null, seen: ReadonlyMap<string, number>): void {
  if (!end) throw invalid('it has no end record (truncated?)');
  const counted = Object.entries(end.rows).filter(([, n]) => n > 0);
  const read = [...seen.entries()].filter(([, n]) => n > 0);
  const same = counted.length === read.length && counted.every(([t, n]) => seen.get(t) === n);
  if (!same) throw invalid('its row counts do not match its end record', { expected: end.rows, read: Object.fromEntries(seen) });
}
