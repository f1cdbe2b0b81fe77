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
  /** Called when a commit fails; the control plane reloads its state from the store. */
  onFailure?: (e: unknown) => void;
}

export class Persister {
  private pending: Mutation[] = [];
  private waiters: Waiter[] = [];
  private scheduled = false;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: StateStore,
    private readonly hooks: PersisterHooks = {},
  ) {}

  /** Resolves once these mutations (and everything handed in before them) are durable. */
  persist(mutations: readonly Mutation[]): Promise<void> {
    for (const m of mutations) this.pending.push(m);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return done;
  }

  /** Resolves when everything handed in so far is durable. */
  async drain(): Promise<void> {
    if (this.waiters.length > 0) await this.persist([]).catch(() => undefined);
    await this.inFlight;
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    this.inFlight = this.inFlight.then(async () => {
      const started = performance.now();
      try {
        if (batch.length > 0) await this.store.commit(batch);
        this.hooks.onCommit?.(batch.length, performance.now() - started);
        for (const w of waiters) w.resolve();
      } catch (e) {
        const err = e instanceof HandoffError ? e : new HandoffError('STORE_UNAVAILABLE', undefined, { cause: String(e) });
        for (const w of waiters) w.reject(err);
        this.hooks.onFailure?.(err);
      }
    });
  }
}
