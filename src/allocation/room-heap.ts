/**
 * An indexed binary max-heap of servers with room, ordered by `fuller` (the placement order),
 * with a map server id → slot so a changed server moves in O(log n); see capacity-index.ts.
 */
import { fuller, type Candidate } from './candidates.js';

/** The servers of one fleet and build that have room, fullest on top. */
export class RoomHeap {
  private readonly items: Candidate[] = [];
  private readonly slot = new Map<string, number>();
  /** Sum of `capacity - used` over the servers in the heap. */
  free = 0;

  get size(): number {
    return this.items.length;
  }

  top(): Candidate | undefined {
    return this.items[0];
  }

  /**
   * Fills an empty heap with servers already in placement order (fullest first): a sorted array
   * is a valid heap, so nothing moves — what a cold start does with 100,000 servers at once.
   */
  loadSorted(sorted: readonly Candidate[]): void {
    if (this.items.length > 0) throw new Error('loadSorted needs an empty heap');
    for (const c of sorted) {
      this.slot.set(c.id, this.items.length);
      this.items.push(c);
      this.free += c.capacity - c.used;
    }
  }

  /** Inserts the server, or replaces its entry and moves it to where its new order puts it. */
  upsert(c: Candidate): void {
    const i = this.slot.get(c.id);
    if (i === undefined) {
      this.items.push(c);
      this.slot.set(c.id, this.items.length - 1);
      this.free += c.capacity - c.used;
      this.up(this.items.length - 1);
      return;
    }
    const old = this.items[i] as Candidate;
    this.free += c.capacity - c.used - (old.capacity - old.used);
    this.items[i] = c;
    if (fuller(c, old)) this.up(i);
    else this.down(i);
  }

  remove(id: string): void {
    const i = this.slot.get(id);
    if (i === undefined) return;
    const gone = this.items[i] as Candidate;
    this.free -= gone.capacity - gone.used;
    this.slot.delete(id);
    const last = this.items.pop() as Candidate;
    if (i === this.items.length) return;
    this.items[i] = last;
    this.slot.set(last.id, i);
    // The moved entry may belong above or below its new slot.
    this.up(i);
    this.down(this.slot.get(last.id) ?? i);
  }

  /** The first server in placement order with at least `seats` free: a best-first walk (see above). */
  firstWithFree(seats: number): Candidate | undefined {
    const root = this.items[0];
    if (!root || root.capacity - root.used >= seats) return root;
    // The frontier is itself a small heap of slots, ordered like the big one.
    const frontier: number[] = [0];
    const better = (a: number, b: number): boolean => fuller(this.items[a] as Candidate, this.items[b] as Candidate);
    while (frontier.length > 0) {
      const i = popBest(frontier, better);
      const c = this.items[i] as Candidate;
      if (c.capacity - c.used >= seats) return c;
      for (const child of [2 * i + 1, 2 * i + 2]) if (child < this.items.length) pushSlot(frontier, child, better);
    }
    return undefined;
  }

  private up(i: number): void {
    const item = this.items[i] as Candidate;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = this.items[parent] as Candidate;
      if (!fuller(item, p)) break;
      this.place(p, i);
      i = parent;
    }
    this.place(item, i);
  }

  private down(i: number): void {
    const item = this.items[i] as Candidate;
    const n = this.items.length;
    for (;;) {
      let best = i;
      let bestItem = item;
      const left = 2 * i + 1;
      const l = left < n ? (this.items[left] as Candidate) : undefined;
      if (l && fuller(l, bestItem)) {
        best = left;
        bestItem = l;
      }
      const r = left + 1 < n ? (this.items[left + 1] as Candidate) : undefined;
      if (r && fuller(r, bestItem)) {
        best = left + 1;
        bestItem = r;
      }
      if (best === i) break;
      this.place(bestItem, i);
      i = best;
    }
    this.place(item, i);
  }

  private place(c: Candidate, i: number): void {
    this.items[i] = c;
    this.slot.set(c.id, i);
  }
}

function pushSlot(h: number[], v: number, better: (a: number, b: number) => boolean): void {
  h.push(v);
  let i = h.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!better(h[i] as number, h[parent] as number)) break;
    [h[i], h[parent]] = [h[parent] as number, h[i] as number];
    i = parent;
  }
}

function popBest(h: number[], better: (a: number, b: number) => boolean): number {
  const top = h[0] as number;
  const last = h.pop() as number;
  if (h.length === 0) return top;
  h[0] = last;
  let i = 0;
  for (;;) {
    let best = i;
    for (const child of [2 * i + 1, 2 * i + 2]) if (child < h.length && better(h[child] as number, h[best] as number)) best = child;
    if (best === i) return top;
    [h[i], h[best]] = [h[best] as number, h[i] as number];
    i = best;
  }
}
