/**
 * A per-key cache of one asynchronous read, kept for `ttlMs` on an injected clock. Concurrent
 * callers share the read in flight; a failed read is not kept, so the next call tries again.
 * For status endpoints that operators poll every second or two: the store is read at most once
 * per key and period, however many are polling.
 */
export class ReadCache<T> {
  private readonly entries = new Map<string, { readAt: number; value: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(key: string, read: () => Promise<T>): Promise<T> {
    const now = this.now();
    for (const [k, e] of this.entries) if (now - e.readAt >= this.ttlMs) this.entries.delete(k);
    const hit = this.entries.get(key);
    if (hit) return hit.value;
    const value = read();
    this.entries.set(key, { readAt: now, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  /** Forgets a key: its next `get` reads again. */
  drop(key: string): void {
    this.entries.delete(key);
  }
}
