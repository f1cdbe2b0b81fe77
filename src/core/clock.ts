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
  /**
   * The heap as two parallel arrays (due time, id) rather than an object per entry: a scale run
   * schedules millions of timers, and each object was one more allocation for the GC.
   */
  private readonly ats: number[] = [];
  private readonly ids: number[] = [];

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
    this.push(this.current + Math.max(0, ms), id);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.live.delete(handle.id);
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (let at = this.ats[0]; at !== undefined && at <= target; at = this.ats[0]) {
      const id = this.ids[0] as number;
      this.pop();
      const fn = this.live.get(id);
      if (!fn) continue;
      this.live.delete(id);
      // After `jump`, overdue timers fire late, at the current time, as they would after a pause.
      this.current = Math.max(this.current, at);
      fn();
    }
    this.current = target;
  }

  /** Heap order: due time, then scheduling order (ids only grow), as timers of one instant fire. */
  private before(i: number, at: number, id: number): boolean {
    const a = this.ats[i] as number;
    return a < at || (a === at && (this.ids[i] as number) < id);
  }

  private push(at: number, id: number): void {
    const { ats, ids } = this;
    let i = ats.length;
    ats.push(at);
    ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.before(parent, at, id)) break;
      ats[i] = ats[parent] as number;
      ids[i] = ids[parent] as number;
      i = parent;
    }
    ats[i] = at;
    ids[i] = id;
  }

  private pop(): void {
    const { ats, ids } = this;
    const lastAt = ats.pop();
    const lastId = ids.pop();
    if (lastAt === undefined || lastId === undefined || ats.length === 0) return;
    const n = ats.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(r, ats[l] as number, ids[l] as number) ? r : l;
      if (!this.before(c, lastAt, lastId)) break;
      ats[i] = ats[c] as number;
      ids[i] = ids[c] as number;
      i = c;
    }
    ats[i] = lastAt;
    ids[i] = lastId;
  }

  /**
   * Moves time forward without firing any timer, as a process sees it when it resumes after a
   * pause (SIGSTOP, a long GC): everything due fires late, on the next `advance`.
   */
  jump(ms: number): void {
    this.current += ms;
  }
}

