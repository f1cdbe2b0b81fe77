import type { Clock, TimerHandle } from './clock.js';

/**
 * Runs `pass` every `intervalMs` on `clock`, one at a time: the next pass is scheduled when the
 * last one ends, so a slow pass (a loaded database, a slow webhook) delays the next instead of
 * piling passes up. `stop` cancels the next pass and waits for one in flight, so a service
 * stopped at shutdown never writes after it. A pass handles its own errors (a rejected pass is
 * not retried sooner; the loop carries on).
 */
export class PeriodicPass {
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<void>,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.running = this.pass()
        .catch(() => undefined)
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.intervalMs);
  }
}
