import type { BackupHeader, Row } from './format.js';

/** What one engine does for backups: read a consistent snapshot, and load rows into an empty store. */
export interface BackupSource {
  readonly header: Omit<BackupHeader, 'format' | 'version' | 'takenAt'>;
  /** Tables to back up, every one read from the same snapshot. */
  tables(): Promise<string[]>;
  rows(table: string): AsyncIterable<Row>;
  close(): Promise<void>;
}

export interface RestoreTarget {
  /** Tables the target knows (its schema is current: the store was opened and migrated first). */
  tables(): Promise<string[]>;
  /** Whether any of `tables` holds a row. */
  isEmpty(tables: readonly string[]): Promise<boolean>;
  /** Starts the one transaction the whole restore runs in. */
  begin(): Promise<void>;
  insert(table: string, row: Row): Promise<void>;
  /** After every row: fixes what explicit ids leave behind (sequences), then commits. */
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}
