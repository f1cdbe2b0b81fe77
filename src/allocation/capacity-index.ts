/**
 * Which servers have room, kept up to date as servers and sessions change, so an allocation
 * never walks the fleet. A data structure only (no I/O, no clock): the in-memory `World`
 * owns one and re-syncs a server after every change to the server or to its sessions.
 *
 * Structure: per fleet, per build, an *indexed binary max-heap* of the servers that have room
 * (Ready or Active, not leaving, used < capacity), ordered by `fuller` (most sessions first,
 * then oldest, then id: the placement order). Beside the heap array, a map server id → slot,
 * so a server whose occupancy or state changed is moved (sift up/down) or removed in
 * O(log n) without a search; and a running sum of the build's free seats (for seats held for
 * migrated players). Questions cost:
 * - the fullest server with room: the heap's root, O(1);
 * - the fullest with room for `seats` > 1 (the first member of a migrated party): a best-first
 *   walk of the heap from the root, visiting servers in placement order until one has enough
 *   free seats — O(k log k) for the k fuller servers that are too full. Packing keeps few
 *   servers part-full, so k stays small, and this is asked only on migrations;
 * - free seats of a build: O(1).
 * A bucket-per-occupancy layout would make updates O(1), but servers of one build may differ in
 * capacity (the SDK can change it), which breaks a bucket's "all or none fit"; a heap does not care.
 */
import { fuller, hasRoom, type Candidate } from './candidates.js';

/** The servers of one fleet and build that have room, fullest on top. */
class RoomHeap {
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

/** Every fleet's and build's servers with room; see the file comment. */
export class CapacityIndex {
  private readonly heaps = new Map<string, Map<string, RoomHeap>>();
  /** Where each indexed server sits, so a server can be found without knowing its fleet. */
  private readonly placed = new Map<string, RoomHeap>();

  /**
   * Brings one server's entry up to date: `candidate` is the server as the allocator sees it
   * now (undefined once it is gone). Call after every change to the server or to its sessions.
   */
  sync(serverId: string, fleet: string, candidate: Candidate | undefined): void {
    const heap = this.placed.get(serverId);
    if (!candidate || !hasRoom(candidate)) {
      if (heap) {
        heap.remove(serverId);
        this.placed.delete(serverId);
      }
      return;
    }
    const target = this.heapOf(fleet, candidate.build);
    if (heap && heap !== target) heap.remove(serverId);
    target.upsert(candidate);
    this.placed.set(serverId, target);
  }

  /** The fullest server of the fleet's build with room for `seats` more. */
  fullest(fleet: string, build: string, seats: number): Candidate | undefined {
    const heap = this.heaps.get(fleet)?.get(build);
    if (!heap) return undefined;
    return seats <= 1 ? heap.top() : heap.firstWithFree(seats);
  }

  /** Free seats over the fleet's build's servers with room. */
  freeSeats(fleet: string, build: string): number {
    return this.heaps.get(fleet)?.get(build)?.free ?? 0;
  }

  /** Servers with room in the index (all fleets): for tests and metrics. */
  get size(): number {
    return this.placed.size;
  }

  clear(): void {
    this.heaps.clear();
    this.placed.clear();
  }

  private heapOf(fleet: string, build: string): RoomHeap {
    let byBuild = this.heaps.get(fleet);
    if (!byBuild) this.heaps.set(fleet, (byBuild = new Map()));
    let heap = byBuild.get(build);
    if (!heap) byBuild.set(build, (heap = new RoomHeap()));
    return heap;
  }
}
