/**
 * Client-side batching of custom metrics, so a game reporting every tick makes one request a
 * second, not sixty. Bounded: at most `maxBuffered` reports wait between sends (a counter or a
 * gauge takes one slot per name and session however often it is reported); the rest are dropped
 * and counted. A send that reached no control plane (down, or between leaders) is kept and sent
 * with the next interval's reports, within the same bound; one the control plane refused is not
 * retried, and an endpoint too old for metrics gets none.
 */
import type { MetricKind, MetricReport } from './protocol.js';
import { SdkError } from './sdk-error.js';

/** As the analysis spec names it after `custom.` (see analysis/spec.ts). */
export const METRIC_NAME = /^(?=.{1,57}$)[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

export interface MetricBatcherOptions {
  intervalMs: number;
  /** Reports waiting at most; a full buffer is sent at once. Default 1000 (the endpoint's batch limit). */
  maxBuffered?: number;
  log: (message: string) => void;
  /** Whether the endpoint takes metrics (its protocol version). */
  supported: () => boolean;
  send: (metrics: MetricReport[]) => Promise<unknown>;
}

export class MetricBatcher {
  private buffer: MetricReport[] = [];
  /** name + session → the waiting report a counter adds to or a gauge overwrites. */
  private slots = new Map<string, MetricReport>();
  private dropped = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private sending: Promise<void> | null = null;
  private unsupported = false;
  private readonly maxBuffered: number;

  constructor(private readonly opts: MetricBatcherOptions) {
    this.maxBuffered = opts.maxBuffered ?? 1_000;
  }

  add(name: string, value: number, kind: MetricKind, sessionId: string | null): void {
    if (!METRIC_NAME.test(name)) throw new Error(`Handoff SDK: metric name "${name}" is not allowed (lower case letters, digits and _, dot-separated segments, starting with a letter, at most 57 characters)`);
    if (!Number.isFinite(value) || this.unsupported) return;
    const key = `${kind}\u0000${name}\u0000${sessionId ?? ''}`;
    const slot = kind === 'sample' ? undefined : this.slots.get(key);
    if (slot) {
      slot.value = kind === 'counter' ? slot.value + value : value;
      return;
    }
    if (this.buffer.length >= this.maxBuffered) {
      this.dropped++;
      return;
    }
    const report: MetricReport = { name, value, kind, ...(sessionId === null ? {} : { sessionId }) };
    this.buffer.push(report);
    if (kind !== 'sample') this.slots.set(key, report);
    if (this.buffer.length >= this.maxBuffered) void this.flush();
    else this.schedule();
  }

  /** Sends what is waiting; resolves once sent (or given up). Never rejects. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // One send at a time, in order: a second flush waits for the first, then sends what came since.
    while (this.sending) await this.sending;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.slots = new Map();
    if (this.dropped > 0) {
      this.opts.log(`Handoff SDK: ${this.dropped} metric report(s) dropped: more than ${this.maxBuffered} in one interval`);
      this.dropped = 0;
    }
    if (!this.opts.supported()) return this.disable();
    this.sending = this.opts.send(batch).then(
      () => undefined,
      (e: unknown) => {
        // An endpoint older than metrics answers every unknown path this way.
        if (e instanceof SdkError && e.code === 'ROUTE_NOT_FOUND') this.disable();
        else if (e instanceof SdkError && unreached(e)) this.requeue(batch);
      },
    ).finally(() => {
      this.sending = null;
    });
    await this.sending;
  }

  /** Puts an undelivered batch back before what came since, dropping the oldest beyond the bound. */
  private requeue(batch: MetricReport[]): void {
    const merged = [...batch, ...this.buffer];
    const over = Math.max(0, merged.length - this.maxBuffered);
    this.dropped += over;
    this.buffer = merged.slice(over);
    // Slots point at waiting reports; after a requeue, counters and gauges start new slots.
    this.slots = new Map();
    if (this.buffer.length > 0) this.schedule();
  }

  private disable(): void {
    if (!this.unsupported) this.opts.log('Handoff SDK: the control plane is too old to take metrics (protocol < 4); metric() reports are dropped');
    this.unsupported = true;
    this.buffer = [];
    this.slots = new Map();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.opts.intervalMs);
    // Metrics never keep a game server's process alive.
    this.timer.unref?.();
  }
}

/** No control plane took the batch: it was not applied, so sending it again is right. */
function unreached(e: SdkError): boolean {
  return e.code === 'CONNECTION_FAILED' || e.code === 'NO_LEADER' || e.code === 'STORE_FENCED' || e.code === 'SHUTTING_DOWN' || e.code === 'STORE_UNAVAILABLE';
}
