/**
 * Group commit. Mutations handed in during one event-loop turn are written in one store
 * transaction; every caller's promise settles when that transaction does. This is what lets
 * the allocator acknowledge thousands of allocations a second with each one durable.
 * Batches commit strictly in order; a batch waits for the previous one.
 */
import { HandoffError } from '../core/errors.js';
import type { Mutation, StateStore } from '../store/port.js';

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface PersisterHooks {
  /** Called after each commit with its size and duration, for metrics. */
  onCommit?: (mutations: number, ms: number) => void;
  /** Called after each commit with what became durable (the signal service reads its events). */
  onCommitted?: (mutations: readonly Mutation[]) => void;
  /**
   * Called once, when a commit fails. Memory is then ahead of the store (later batches were
   * already applied in memory), so the only sound recovery is the restart path: the control
   * plane exits and rebuilds from the store, re-adopting its game servers.
   */
  onFailure?: (e: unknown) => void;
}

export class Persister {
  private pending: Mutation[] = [];
  private waiters: Waiter[] = [];
  private scheduled = false;
  /** The commit in flight, if any. While it runs, new mutations gather into the next batch. */
  private committing: Promise<void> | null = null;
  /** Set by the first failed commit: nothing is accepted after it. */
  private failure: HandoffError | null = null;

  constructor(
    private readonly store: StateStore,
    private readonly hooks: PersisterHooks = {},
  ) {}

  /** Resolves once these mutations (and everything handed in before them) are durable. */
  persist(mutations: readonly Mutation[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    for (const m of mutations) this.pending.push(m);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return done;
  }

  /** Resolves when everything handed in so far is durable (or has failed). Batches commit in order. */
  async drain(): Promise<void> {
    await this.persist([]).catch(() => undefined);
  }

  private schedule(): void {
    // One batch per event-loop turn at most, and never two commits at once: a batch that waits
    // for the disk lets the next one grow, which is what makes group commit pay.
    if (this.scheduled || this.committing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.committing || this.waiters.length === 0) return;
    const batch = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    this.committing = this.commit(batch, waiters).finally(() => {
      this.committing = null;
      if (this.waiters.length > 0) this.schedule();
    });
  }

  private async commit(batch: Mutation[], waiters: Waiter[]): Promise<void> {
    const started = performance.now();
    try {
      if (batch.length > 0) await this.store.commit(batch);
      this.hooks.onCommit?.(batch.length, performance.now() - started);
      if (batch.length > 0) observe(this.hooks.onCommitted, batch);
      for (const w of waiters) w.resolve();
    } catch (e) {
      const err = e instanceof HandoffError ? e : new HandoffError('STORE_UNAVAILABLE', undefined, { cause: String(e) });
      this.failure = err;
      // Everything waiting, in this batch or the next, fails with it: none of it is durable.
      const pending = this.waiters;
      this.pending = [];
      this.waiters = [];
      for (const w of [...waiters, ...pending]) w.reject(err);
      this.hooks.onFailure?.(err);
    }
  }
}

/** An observer's failure is not the store's: the batch is durable whatever the observer does. */
function observe(hook: PersisterHooks['onCommitted'], batch: readonly Mutation[]): void {
  try {
    hook?.(batch);
  } catch {
    // A lost signal costs an analysis a sample, never a commit.
  }
}
