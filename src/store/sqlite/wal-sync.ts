import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';

/** The connection settings durability rests on, as SQLite reports them. */
export interface SqliteDurability {
  journalMode: string;
  /** OFF, NORMAL, FULL or EXTRA. */
  synchronous: string;
  busyTimeoutMs: number;
}

const SynchronousNames = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

/** Reads them from one connection: `synchronous` is per connection, not stored in the file. */
export function readDurability(db: Database.Database): SqliteDurability {
  const level = Number(db.pragma('synchronous', { simple: true }));
  return {
    journalMode: String(db.pragma('journal_mode', { simple: true })),
    synchronous: SynchronousNames[level] ?? String(level),
    busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })),
  };
}

/** `fs.fsync`'s shape. Tests pass one that is slow or observed, to prove a commit waits for it. */
export type Fsync = (fd: number, done: (e: NodeJS.ErrnoException | null) => void) => void;

/**
 * Makes committed WAL frames durable without blocking the event loop. The store runs SQLite with
 * `synchronous=NORMAL` (no fsync inside COMMIT) and calls `sync()` after each commit; the fsync
 * runs on libuv's thread pool. Once it resolves, the commit survives kill -9 and power loss —
 * the guarantee `synchronous=FULL` gives in WAL mode.
 */
export class WalSync {
  private fd: number | null = null;

  constructor(
    private readonly dbPath: string,
    private readonly fsyncFile: Fsync = fsync,
  ) {}

  sync(): Promise<void> {
    const fd = this.open();
    return new Promise((resolve, reject) => this.fsyncFile(fd, (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Opened at the first commit, when the `-wal` file is sure to exist. */
  private open(): number {
    if (this.fd === null) {
      this.fd = openSync(`${this.dbPath}-wal`, 'r');
      // The WAL's directory entry must be durable too, once: a synced file nobody can find is lost.
      const dir = openSync(dirname(this.dbPath), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    return this.fd;
  }
}
