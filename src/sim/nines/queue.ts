/**
 * The light simulator's two event queues (see `docs/simulation.md`, "Eight nines").
 *
 * - `EventQueue`: a binary min-heap of the rare events (boots, crashes, exits, watch connects,
 *   control-plane restarts, check answers), ordered by (time, insertion order) so equal times
 *   fire in the order they were scheduled and a run is a function of its seed.
 * - `EndCalendar`: the session ends, by far the most numerous events. The planners only look at
 *   the world at reconcile ticks, so an end matters only by the tick it falls in: ends are kept
 *   in a ring of per-tick buckets (a calendar queue / timing wheel), O(1) to add and to drain,
 *   with no per-session object. An entry is a server slot and that server's epoch, packed in
 *   one small integer: a server whose sessions were all closed at once (migrated, closed for
 *   maintenance, crashed) bumps its epoch, and the ends still queued for its old sessions are
 *   then recognised as stale and dropped.
 */

export interface Timed {
  at: number;
}

export class EventQueue<E extends Timed> {
  private readonly items: E[] = [];
  private readonly order: number[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(e: E): void {
    this.items.push(e);
    this.order.push(this.seq++);
    let i = this.items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** The earliest event's time, or Infinity. */
  peekAt(): number {
    return this.items[0]?.at ?? Infinity;
  }

  pop(): E | undefined {
    const top = this.items[0];
    if (top === undefined) return undefined;
    const last = this.items.length - 1;
    this.swap(0, last);
    this.items.pop();
    this.order.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < this.items.length && this.before(l, best)) best = l;
      if (r < this.items.length && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }

  private before(a: number, b: number): boolean {
    const x = (this.items[a] as E).at;
    const y = (this.items[b] as E).at;
    return x < y || (x === y && (this.order[a] as number) < (this.order[b] as number));
  }

  private swap(a: number, b: number): void {
    const e = this.items[a] as E;
    this.items[a] = this.items[b] as E;
    this.items[b] = e;
    const o = this.order[a] as number;
    this.order[a] = this.order[b] as number;
    this.order[b] = o;
  }
}

/** Bits of an entry that hold the epoch; the rest hold the server slot. */
const EPOCH_BITS = 10;
const EPOCH_MASK = (1 << EPOCH_BITS) - 1;
/** Slots must fit beside the epoch in a small integer (V8 keeps arrays of them unboxed). */
export const MAX_SLOTS = 1 << (30 - EPOCH_BITS);

export class EndCalendar {
  private readonly buckets: number[][];
  /** The tick the next `drain` returns. */
  private next = 0;
  /** Ends queued and not yet drained. */
  pending = 0;

  /** `horizonTicks`: the furthest ahead an end may be queued (the longest session, in ticks). */
  constructor(horizonTicks: number) {
    this.buckets = Array.from({ length: horizonTicks + 2 }, () => []);
  }

  /** An end in tick `tick` (≥ the next tick drained, < that + horizon) of a session on `slot`. */
  add(tick: number, slot: number, epoch: number): void {
    const t = tick < this.next ? this.next : tick;
    if (t - this.next >= this.buckets.length) throw new RangeError(`session end ${t - this.next} ticks ahead, beyond the calendar's horizon`);
    (this.buckets[t % this.buckets.length] as number[]).push((slot << EPOCH_BITS) | (epoch & EPOCH_MASK));
    this.pending += 1;
  }

  /** Calls `end(slot, epoch)` for every end queued in the next tick, then moves on to the following one. */
  drain(end: (slot: number, epoch: number) => void): void {
    const bucket = this.buckets[this.next % this.buckets.length] as number[];
    this.next += 1;
    const n = bucket.length;
    for (let i = 0; i < n; i++) {
      const v = bucket[i] as number;
      end(v >> EPOCH_BITS, v & EPOCH_MASK);
    }
    this.pending -= n;
    bucket.length = 0;
  }

  /** The tick the next `drain` covers. */
  get tick(): number {
    return this.next;
  }

  static sameEpoch(a: number, b: number): boolean {
    return (a & EPOCH_MASK) === (b & EPOCH_MASK);
  }
}
