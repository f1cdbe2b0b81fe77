import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { SystemClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { decideCheckpoint, type CheckpointAction, type CheckpointPolicy } from './checkpoint-policy.js';

/**
 * The worker's whole program. A string evaluated as CommonJS rather than a module file, so the
 * same code runs under tsx, vitest and the compiled `dist/` without a loader in the worker.
 * Its connection only checkpoints; `synchronous=FULL` so the database file is fsynced before
 * the WAL is rewound (NORMAL does that too in WAL mode; FULL says it outright).
 */
const WorkerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = ' + workerData.truncateWaitMs);
db.pragma('synchronous = FULL');
db.pragma('wal_autocheckpoint = 0');
parentPort.on('message', (m) => {
  if (m.mode === 'close') { db.close(); parentPort.close(); return; }
  try {
    // A RESTART or TRUNCATE holds the write lock from the moment it starts waiting for readers
    // until the WAL is rewound. So a PASSIVE first copies what it can with writers running, and the
    // blocking one after it waits at most truncateWaitMs (this connection's busy timeout) for readers
    // before carrying on as a PASSIVE would: commits wait for it a bounded time, well inside their
    // own 5 s busy timeout, instead of failing with "database is locked" (and stopping the
    // control plane) behind a checkpoint that waited 5 s for a reader.
    if (m.mode !== 'PASSIVE') db.pragma('wal_checkpoint(PASSIVE)');
    const [r] = db.pragma('wal_checkpoint(' + m.mode + ')');
    // A frame is a page and its 24-byte header.
    const frameBytes = db.pragma('page_size', { simple: true }) + 24;
    parentPort.postMessage({ id: m.id, busy: r.busy, log: r.log, checkpointed: r.checkpointed, logBytes: r.log * frameBytes });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
  }
});
`;

export interface CheckpointResult {
  busy: number;
  /** Frames in the WAL since it was last rewound. */
  log: number;
  checkpointed: number;
  /** Those frames in bytes. */
  logBytes: number;
}

export type CheckpointMode = 'PASSIVE' | 'RESTART' | 'TRUNCATE';

/**
 * Runs WAL checkpoints off the event loop: a timer on the loop looks at the WAL's size (an
 * async stat) and decides; a worker thread with its own connection does the copying and
 * fsyncing. One checkpoint at a time.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private timer: TimerHandle | undefined;
  private commits = 0;
  private lastCommitAt = 0;
  /** WAL content since the last rewind, as the last checkpoint reported it (WalState.usedBytes). */
  private usedBytes = 0;
  private busy = false;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;

  constructor(
    private readonly dbPath: string,
    private readonly policy: CheckpointPolicy,
    private readonly clock: Clock = new SystemClock(),
    private readonly onError: (e: Error) => void = (e) => process.emitWarning(`WAL checkpoint failed: ${e.message}`),
  ) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WorkerSource, { eval: true, workerData: { driver, path: dbPath, truncateWaitMs: Math.ceil(policy.truncateWaitMs) } });
    // Never keeps the process alive on its own; `close` ends it explicitly.
    this.worker.unref();
    this.worker.on('message', (m: { id: number; error?: string } & CheckpointResult) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve({ busy: m.busy, log: m.log, checkpointed: m.checkpointed, logBytes: m.logBytes });
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.onError(e);
    });
    this.schedule();
  }

  /** Called by the store after each commit resolves. */
  noteCommit(): void {
    this.commits++;
    this.lastCommitAt = this.clock.now();
  }

  /** One look at the WAL and, if the policy says so, one checkpoint. Exposed for tests. */
  async tick(): Promise<CheckpointAction> {
    if (this.busy || this.closed) return 'none';
    this.busy = true;
    try {
      const walBytes = await stat(`${this.dbPath}-wal`).then((s) => s.size, () => 0);
      const action = decideCheckpoint(
        { now: this.clock.now(), walBytes, usedBytes: this.usedBytes, commitsSinceCheckpoint: this.commits, lastCommitAt: this.lastCommitAt },
        this.policy,
      );
      if (action === 'none') return action;
      // Counted from when the checkpoint begins: a commit landing during it needs the next one.
      this.commits = 0;
      await this.run(action === 'passive' ? 'PASSIVE' : action === 'restart' ? 'RESTART' : 'TRUNCATE');
      return action;
    } finally {
      this.busy = false;
    }
  }

  async run(mode: CheckpointMode): Promise<CheckpointResult> {
    const id = this.nextId++;
    const r = await new Promise<CheckpointResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, mode });
    });
    // A blocking checkpoint that copied everything rewinds the WAL: the next writer starts over.
    this.usedBytes = mode !== 'PASSIVE' && r.busy === 0 && r.checkpointed === r.log ? 0 : r.logBytes;
    return r;
  }

  /** Stops the timer, lets a running checkpoint finish, and ends the worker and its connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    // Held while it closes: with nothing else left on the loop, an unref'd worker would let the
    // process end before its exit event and leave `await close()` (and main) unsettled (exit 13).
    this.worker.ref();
    this.worker.postMessage({ mode: 'close' });
    await this.exited;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      this.tick().catch((e: unknown) => this.onError(e instanceof Error ? e : new Error(String(e)))).finally(() => this.schedule());
    }, this.policy.intervalMs);
  }
}
