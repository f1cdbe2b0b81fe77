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

  /**
   * Brings one server's entry up to date: `candidate` is the server as the allocator sees it
   * now (undefined once it is gone). Call after every change to the server or to its sessions.
   */
  sync(serverId: string, fleet: string, candidate: Candidate | undefined): void {
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
   * Indexes many servers at once into an empty index (a cold start): the same entries `sync`
   * would make one by one, but each heap filled from a sorted list (no sifting) and one `Placed`
   * record shared by the servers of a cell, instead of ~10 map writes and 3 objects per server.
   */
  load(servers: Iterable<{ fleet: string; candidate: Candidate }>): void {
    if (this.placed.size > 0) throw new Error('load needs an empty index');
    const sorted: { fleet: string; candidate: Candidate }[] = [];
    for (const e of servers) if (hasRoom(e.candidate)) sorted.push(e);
    sorted.sort((a, b) => placementOrder(a.candidate, b.candidate));
    const lists = new Map<RoomHeap, Candidate[]>();
    const at = new Map<string, Placed>();
    for (const { fleet, candidate } of sorted) {
      const zone = candidate.zone ?? '';
      const region = candidate.region ?? '';
      const rooms = this.roomsOf(fleet, candidate.build);
      const cell = `${region}\u0000${zone}`;
      const where = `${fleet}\u0000${candidate.build}\u0000${cell}`;
      let placed = at.get(where);
      if (!placed) at.set(where, (placed = { rooms, cell, zone, region }));
      for (const heap of [rooms.all, rooms.cell(cell, zone, region)]) {
        let list = lists.get(heap);
        if (!list) lists.set(heap, (list = []));
        list.push(candidate);
      }
      this.placed.set(candidate.id, placed);
    }
    // Each list kept the global placement order, so each is sorted.
    for (const [heap, list] of lists) heap.loadSorted(list);
  }

  /** The fullest server of the fleet's build with room for `seats` more, within `tier` (default anywhere). */
  fullest(fleet: string, build: string, seats: number, tier?: LocationTier): Candidate | undefined {
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
    return this.rooms.get(fleet)?.get(build)?.all.free ?? 0;
  }

  /** Servers with room in the index (all fleets): for tests and metrics. */
  get size(): number {
    return this.placed.size;
  }

  clear(): void {
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
