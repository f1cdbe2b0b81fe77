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
 * - free seats of a build: O(1);
 * - the fullest within a preferred region or zone: the same, per location cell (one per zone of
 *   the region), comparing the cells' tops — O(cells), a handful, whatever the fleet's size.
 * A bucket-per-occupancy layout would make updates O(1), but servers of one build may differ in
 * capacity (the SDK can change it), which breaks a bucket's "all or none fit"; a heap does not care.
 */
import { fuller, hasRoom, type Candidate } from './candidates.js';
import type { LocationTier } from './regions.js';
import { RoomHeap } from './room-heap.js';

/**
 * One fleet's and build's servers with room: all of them in one heap (the common question, no
 * preferred location), and the same servers again in one heap per location cell (a region's
 * zone), with the cells of each region and of each zone listed, so a preferred region or zone
 * is answered by comparing the tops of its few cells, never by walking servers.
 */
class BuildRooms {
  readonly all = new RoomHeap();
  readonly cells = new Map<string, RoomHeap>();
  readonly byRegion = new Map<string, Set<string>>();
  readonly byZone = new Map<string, Set<string>>();

  cell(key: string, zone: string, region: string): RoomHeap {
    let heap = this.cells.get(key);
    if (heap) return heap;
    this.cells.set(key, (heap = new RoomHeap()));
    addTo(this.byRegion, region, key);
    addTo(this.byZone, zone, key);
    return heap;
  }

  /** Drops an emptied cell so a region's list holds only cells with room. */
  prune(key: string, zone: string, region: string): void {
    if ((this.cells.get(key)?.size ?? 0) > 0) return;
    this.cells.delete(key);
    removeFrom(this.byRegion, region, key);
    removeFrom(this.byZone, zone, key);
  }
}

interface Placed {
  rooms: BuildRooms;
  cell: string;
  zone: string;
  region: string;
}

/** Every fleet's and build's servers with room; see the file comment. */
export class CapacityIndex {
  private readonly rooms = new Map<string, Map<string, BuildRooms>>();
  /** Where each indexed server sits, so a server can be found without knowing its fleet. */
  private readonly placed = new Map<string, Placed>();
  /** Fleets not indexed yet, each with how to read its servers (see `defer`); null when none ever were deferred. */
  private unbuilt: Map<string, (fleet: string) => Iterable<Candidate>> | null = null;

  /**
   * Brings one server's entry up to date: `candidate` is the server as the allocator sees it
   * now (undefined once it is gone). Call after every change to the server or to its sessions.
   */
  sync(serverId: string, fleet: string, candidate: Candidate | undefined): void {
    // Not indexed yet: its build reads this server as it is then.
    if (this.unbuilt?.has(fleet)) return;
    const was = this.placed.get(serverId);
    if (!candidate || !hasRoom(candidate)) {
      if (was) this.drop(serverId, was);
      return;
    }
    const zone = candidate.zone ?? '';
    const region = candidate.region ?? '';
    const rooms = this.roomsOf(fleet, candidate.build);
    const cell = `${region}\u0000${zone}`;
    if (was && (was.rooms !== rooms || was.cell !== cell)) this.drop(serverId, was);
    rooms.all.upsert(candidate);
    rooms.cell(cell, zone, region).upsert(candidate);
    this.placed.set(serverId, { rooms, cell, zone, region });
  }

  /**
   * A cold start: every fleet in `fleets` is indexed on first use instead of now, from
   * `read(fleet)` (its servers as the allocator sees them *then*): the first allocation after a
   * restart pays for its own fleet (10,000 servers: tens of ms), not for all of them (100,000:
   * about a second). Until then `sync` skips the fleet's servers: the build reads their state
   * when it happens, so nothing is lost. The index must be empty.
   */
  defer(fleets: Iterable<string>, read: (fleet: string) => Iterable<Candidate>): void {
    if (this.placed.size > 0) throw new Error('defer needs an empty index');
    this.unbuilt = new Map();
    for (const fleet of fleets) this.unbuilt.set(fleet, read);
  }

  /** Builds a deferred fleet's index now (see `defer`); a no-op for a fleet already indexed. */
  private ready(fleet: string): void {
    const read = this.unbuilt?.get(fleet);
    if (read === undefined) return;
    this.unbuilt?.delete(fleet);
    this.loadFleet(fleet, read(fleet));
  }

  /**
   * Indexes one fleet's servers at once: the same entries `sync` would make one by one, but
   * each heap filled from a sorted list (no sifting) and one `Placed` record shared by the
   * servers of a cell, instead of ~10 map writes and 3 objects per server.
   */
  private loadFleet(fleet: string, servers: Iterable<Candidate>): void {
    const sorted: Candidate[] = [];
    for (const c of servers) if (hasRoom(c)) sorted.push(c);
    sorted.sort(placementOrder);
    const lists = new Map<RoomHeap, Candidate[]>();
    const at = new Map<string, Placed>();
    for (const candidate of sorted) {
      const zone = candidate.zone ?? '';
      const region = candidate.region ?? '';
      const rooms = this.roomsOf(fleet, candidate.build);
      const cell = `${region}\u0000${zone}`;
      const where = `${candidate.build}\u0000${cell}`;
      let placed = at.get(where);
      if (!placed) at.set(where, (placed = { rooms, cell, zone, region }));
      for (const heap of [rooms.all, rooms.cell(cell, zone, region)]) {
        let list = lists.get(heap);
        if (!list) lists.set(heap, (list = []));
        list.push(candidate);
      }
      this.placed.set(candidate.id, placed);
    }
    // Each list kept the fleet's placement order, so each is sorted.
    for (const [heap, list] of lists) heap.loadSorted(list);
  }

  /** The fullest server of the fleet's build with room for `seats` more, within `tier` (default anywhere). */
  fullest(fleet: string, build: string, seats: number, tier?: LocationTier): Candidate | undefined {
    this.ready(fleet);
    const rooms = this.rooms.get(fleet)?.get(build);
    if (!rooms) return undefined;
    if (!tier || tier.kind === 'any') return firstOf(rooms.all, seats);
    const keys = (tier.kind === 'region' ? rooms.byRegion : rooms.byZone).get(tier.name);
    let best: Candidate | undefined;
    for (const key of keys ?? []) {
      const heap = rooms.cells.get(key);
      const c = heap ? firstOf(heap, seats) : undefined;
      if (c && (!best || fuller(c, best))) best = c;
    }
    return best;
  }

  /** Free seats over the fleet's build's servers with room. */
  freeSeats(fleet: string, build: string): number {
    this.ready(fleet);
    return this.rooms.get(fleet)?.get(build)?.all.free ?? 0;
  }

  /** Servers with room in the index (all fleets): for tests and metrics. */
  get size(): number {
    for (const fleet of [...(this.unbuilt?.keys() ?? [])]) this.ready(fleet);
    return this.placed.size;
  }

  clear(): void {
    this.unbuilt = null;
    this.rooms.clear();
    this.placed.clear();
  }

  private drop(serverId: string, at: Placed): void {
    at.rooms.all.remove(serverId);
    at.rooms.cells.get(at.cell)?.remove(serverId);
    at.rooms.prune(at.cell, at.zone, at.region);
    this.placed.delete(serverId);
  }

  private roomsOf(fleet: string, build: string): BuildRooms {
    let byBuild = this.rooms.get(fleet);
    if (!byBuild) this.rooms.set(fleet, (byBuild = new Map()));
    let rooms = byBuild.get(build);
    if (!rooms) byBuild.set(build, (rooms = new BuildRooms()));
    return rooms;
  }
}

/** `fuller` as a comparator (fuller first): for sorting many servers at once. */
function placementOrder(a: Candidate, b: Candidate): number {
  return b.used - a.used || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function firstOf(heap: RoomHeap, seats: number): Candidate | undefined {
  return seats <= 1 ? heap.top() : heap.firstWithFree(seats);
}

function addTo(m: Map<string, Set<string>>, k: string, v: string): void {
  let set = m.get(k);
  if (!set) m.set(k, (set = new Set()));
  set.add(v);
}

function removeFrom(m: Map<string, Set<string>>, k: string, v: string): void {
  const set = m.get(k);
  if (!set) return;
  set.delete(v);
  if (set.size === 0) m.delete(k);
}
