/**
 * The Clock port. Services read time and schedule work only through it, so tests drive time
 * with `FakeClock` instead of sleeping. Pure planners never see a clock: they take `now`.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

export class SystemClock implements Clock {
  private next = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, ms);
    // Timers never keep the process alive on their own: shutdown is explicit.
    t.unref();
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t) clearTimeout(t);
    this.timers.delete(handle.id);
  }
}

/**
 * A clock that only moves when told to. Timers fire, in order of due time and then of scheduling,
 * inside `advance`. Pending timers sit in a binary min-heap (cleared ones are dropped lazily when
 * they reach the top), so a simulation with 100,000 servers' health timers pays O(log n) per
 * timer instead of a scan of every pending timer per firing.
 */
export class FakeClock implements Clock {
  private current: number;
  private next = 1;
  /** Live timers by id; a heap entry whose id is missing here was cleared. */
  private readonly live = new Map<number, () => void>();
  private readonly heap: { at: number; id: number }[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Timers scheduled and not yet fired or cleared. */
  get pending(): number {
    return this.live.size;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.live.set(id, fn);
    this.push({ at: this.current + Math.max(0, ms), id });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.live.delete(handle.id);
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (let top = this.heap[0]; top !== undefined && top.at <= target; top = this.heap[0]) {
      this.pop();
      const fn = this.live.get(top.id);
      if (!fn) continue;
      this.live.delete(top.id);
      // After `jump`, overdue timers fire late, at the current time, as they would after a pause.
      this.current = Math.max(this.current, top.at);
      fn();
    }
    this.current = target;
  }

  private push(entry: { at: number; id: number }): void {
    const h = this.heap;
    let i = h.length;
    h.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as { at: number; id: number };
      if (!before(entry, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const left = h[l] as { at: number; id: number };
      const right = h[r];
      // No [index, entry] pair here: this runs per level of every timer fired (a scale run fires millions).
      const useRight = right !== undefined && before(right, left);
      const child = useRight ? right : left;
      if (!before(child, last)) break;
      h[i] = child;
      i = useRight ? r : l;
    }
    h[i] = last;
  }

  /**
   * Moves time forward without firing any timer, as a process sees it when it resumes after a
   * pause (SIGSTOP, a long GC): everything due fires late, on the next `advance`.
   */
  jump(ms: number): void {
    this.current += ms;
  }
}

/** Heap order: due time, then scheduling order (ids only grow), as timers of one instant fire. */
function before(a: { at: number; id: number }, b: { at: number; id: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}
