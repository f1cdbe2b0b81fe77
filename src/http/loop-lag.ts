/**
 * How late the event loop runs, as a load signal. Under a CPU-bound flood the requests wait in
 * socket buffers before the HTTP parser ever sees them, so a bound on requests in flight never
 * trips while answers take seconds; the loop's own lateness does show it. A timer that should
 * fire every `intervalMs` measures how late it fires. The signal is the *least* lateness of the
 * last few ticks: a saturated loop is late on every tick, while one long pause (a GC, start-up)
 * is a single late tick and must not shed anything.
 */
import { performance } from 'node:perf_hooks';

export class LoopLag {
  private readonly samples: number[];
  private next = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly intervalMs = 10,
    window = 4,
  ) {
    this.samples = new Array<number>(window).fill(0);
    let expected = performance.now() + intervalMs;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.samples[this.next] = Math.max(0, now - expected);
      this.next = (this.next + 1) % this.samples.length;
      expected = now + intervalMs;
    }, intervalMs);
    // The monitor never keeps the process alive.
    this.timer.unref();
  }

  /** Milliseconds the loop has been running behind on each of the last few ticks. */
  get currentMs(): number {
    return Math.min(...this.samples);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
