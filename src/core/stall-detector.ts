/**
 * Notices when the control plane itself stopped running for a while — SIGSTOP, a long GC pause,
 * a slow synchronous disk call, a frozen VM — so deadlines are not blamed on game servers for
 * time nobody was listening to them. A heartbeat runs every `tickMs`; a heartbeat (or a read)
 * that comes more than `thresholdMs` later than due marks the end of a stall.
 *
 * Reads check the gap themselves: after a resume, the reconciler's timer may fire before the
 * heartbeat's, and it must already see the stall.
 */
import type { Clock, TimerHandle } from './clock.js';

export interface StallDetectorOptions {
  /** Heartbeat period. Default 250 ms. */
  tickMs?: number;
  /** Lateness beyond the period that counts as a stall. Default 1000 ms. */
  thresholdMs?: number;
  /** Called once per stall detected, with how long nothing ran. */
  onStall?: (gapMs: number) => void;
}

export class StallDetector {
  private readonly tickMs: number;
  private readonly thresholdMs: number;
  private lastBeat: number;
  private since: number;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly opts: StallDetectorOptions = {},
  ) {
    this.tickMs = opts.tickMs ?? 250;
    this.thresholdMs = opts.thresholdMs ?? 1_000;
    this.lastBeat = this.since = clock.now();
  }

  /** Starts the heartbeat; observation (re)starts now. */
  start(): void {
    this.stop();
    this.lastBeat = this.since = this.clock.now();
    this.schedule();
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Since when the process has been running without a stall: its start or the end of the last stall. */
  observingSince(): number {
    this.beat();
    return this.since;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.beat();
      this.schedule();
    }, this.tickMs);
  }

  private beat(): void {
    const now = this.clock.now();
    const gap = now - this.lastBeat;
    if (gap > this.tickMs + this.thresholdMs) {
      this.since = now;
      this.opts.onStall?.(gap);
    }
    this.lastBeat = Math.max(this.lastBeat, now);
  }
}
