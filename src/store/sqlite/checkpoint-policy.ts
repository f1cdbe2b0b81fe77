/**
 * When to checkpoint the SQLite WAL. The store turns SQLite's automatic checkpoint off
 * (`wal_autocheckpoint=0`): it ran inside COMMIT, on the event loop, copying ~4 MB of pages and
 * fsyncing the database every 1,000 pages — the p99 spikes of the allocation bench. A worker
 * thread with its own connection checkpoints instead (`checkpoint.ts`); this decides what it does.
 *
 * - PASSIVE after any commit: copies committed frames into the database without taking the write
 *   lock, so commits on the event loop never wait for it.
 * - RESTART when the frames written since the WAL was last rewound reach `maxWalBytes`: under
 *   steady writes a PASSIVE checkpoint never catches up at the instant a writer starts, so SQLite
 *   never rewinds the WAL and the file grows for ever. RESTART blocks writers while it copies
 *   what PASSIVE left (little) and makes the next writer start again at the file's beginning.
 *   It keeps the file: overwriting a WAL is cheaper than growing one (the same group commit cost
 *   ~25 % less main-thread CPU per session, bench/commit-path.ts and docs/performance.md), so
 *   the file stays about `maxWalBytes` while writes go on. (A TRUNCATE here, as before, made
 *   every commit append to a file that had just been cut to zero.)
 *   It is preceded by a PASSIVE and waits for readers at most `truncateWaitMs` (checkpoint.ts), so
 *   writers are never held long: a blocking checkpoint that waited 5 s for a reader outlasted a
 *   commit's 5 s busy timeout under the scale bench's writes, the commit failed and the control
 *   plane stopped.
 * - TRUNCATE when idle for `idleAfterMs` with a non-empty WAL: returns the disk space while
 *   nobody is writing, so nobody waits.
 */

export interface CheckpointPolicy {
  /** How often the WAL is looked at. Default 1 s. */
  intervalMs: number;
  /** WAL content at which a blocking RESTART rewinds it (the file stays about this size). Default 64 MiB. */
  maxWalBytes: number;
  /** Quiet time after the last commit before the WAL is truncated. Default 10 s. */
  idleAfterMs: number;
  /**
   * How long a RESTART or TRUNCATE waits for readers (holding writers back meanwhile) before it settles
   * for what it could copy. Default 200 ms: far inside the store's 5 s busy timeout for commits.
   */
  truncateWaitMs: number;
}

export const DefaultCheckpointPolicy: CheckpointPolicy = {
  intervalMs: 1_000,
  maxWalBytes: 64 * 1024 * 1024,
  idleAfterMs: 10_000,
  truncateWaitMs: 200,
};

export interface WalState {
  now: number;
  /** Size of the `-wal` file now (0 when missing). */
  walBytes: number;
  /**
   * Bytes of frames written since the WAL was last rewound, as the last checkpoint counted them.
   * Not the file's size: a rewound WAL is overwritten from its start and keeps its size.
   */
  usedBytes: number;
  /** Commits since the last checkpoint began. */
  commitsSinceCheckpoint: number;
  /** When the last commit resolved (0: never). */
  lastCommitAt: number;
}

export type CheckpointAction = 'none' | 'passive' | 'restart' | 'truncate';

/** Pure: which checkpoint, if any, to run now. */
export function decideCheckpoint(s: WalState, p: CheckpointPolicy): CheckpointAction {
  if (s.usedBytes >= p.maxWalBytes) return 'restart';
  if (s.commitsSinceCheckpoint > 0) return 'passive';
  if (s.walBytes > 0 && s.now - s.lastCommitAt >= p.idleAfterMs) return 'truncate';
  return 'none';
}

export function resolveCheckpointPolicy(p: Partial<CheckpointPolicy> = {}): CheckpointPolicy {
  const r = { ...DefaultCheckpointPolicy, ...p };
  for (const [k, v] of Object.entries(r)) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`checkpoint ${k} must be positive, got ${v}`);
  }
  return r;
}
