/**
 * Load shedding. Node's HTTP server accepts every request it can parse, and an allocation that
 * waits for its group commit is cheap to hold — so under overload requests pile up without
 * limit (seen: 76,000 queued, p99 9 s, RSS 1 GB). A bound on requests in flight keeps the ones
 * accepted fast (queueing ≤ limit ÷ throughput) and lets the excess be answered at once with
 * 429 and `Retry-After`, which a matchmaker can act on, instead of a timeout it cannot.
 */
export class Admission {
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Requests refused since start, for metrics. */
  shed = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`the in-flight limit must be a positive integer, got ${limit}`);
  }

  get current(): number {
    return this.inFlight;
  }

  /** Takes a slot, or returns null when the limit is reached. The release is idempotent. */
  tryEnter(): (() => void) | null {
    if (this.inFlight >= this.limit) {
      this.shed += 1;
      return null;
    }
    this.inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
  }

  /** Resolves when nothing is in flight, or after `maxMs`, whichever comes first. */
  idle(maxMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      timer.unref();
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
