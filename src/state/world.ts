/**
 * The control plane's in-memory state: the authoritative copy inside one process, rebuilt
 * from the store at start. Every mutation happens here synchronously (so two requests can
 * never take the same slot) and is then persisted; callers acknowledge only after the commit.
 * Only indexes and bookkeeping live here — decisions live in the pure planners.
 */
import type semver from 'semver';
import type { Candidate } from '../allocation/candidates.js';
import { CapacityIndex } from '../allocation/capacity-index.js';
import { acceptsClient, parseClientRange } from '../builds/client-range.js';
import type { Build } from '../builds/model.js';
import { isTerminal, type Fleet, type GameServer } from '../fleet/model.js';
import { isTerminalPhase, type Rollout } from '../rollout/model.js';
import type { CloseReason, MigrationTokenRecord, Session } from '../session/model.js';
import type { IdempotencyRecord, Snapshot } from '../store/port.js';
import { ChangeJournal } from './journal.js';
import { ServerLocations, type HostLocation } from './locations.js';

const key = (a: string, b: string): string => `${a}\u0000${b}`;
/** The attributes of every session that has none (see `World.shared`); frozen, as sessions are never changed in place. */
const NoAttributes: Session['attributes'] = Object.freeze({});

export class World {
  readonly builds = new Map<string, Build>();
  readonly fleets = new Map<string, Fleet>();
  /** Non-terminal servers. */
  readonly servers = new Map<string, GameServer>();
  /** The same servers by fleet (insertion order kept): a pass over one fleet must not scan every fleet's servers. */
  private readonly serversByFleet = new Map<string, Map<string, GameServer>>();
  /** Open sessions. */
  readonly sessions = new Map<string, Session>();
  /** Every rollout not yet terminal, plus each fleet's latest. */
  readonly rollouts = new Map<string, Rollout>();
  readonly idempotency = new Map<string, IdempotencyRecord>();
  /** Migration tokens not yet expired, used or not, by token id. */
  readonly migrationTokens = new Map<string, MigrationTokenRecord>();
  meta: Record<string, string> = {};
  /**
   * Servers with room per fleet and build, fullest first: what allocation asks instead of
   * walking `servers`. Re-synced below after every change to a server or its session count —
   * except while `indexDeferred` (see `capacity`).
   */
  private readonly rooms = new CapacityIndex();
  /**
   * Set by `fromSnapshot`: the index is built from the servers as they are at first use (or
   * `buildCapacityIndex`), fleet by fleet, instead of being synced per server as the snapshot
   * is read, again when the per-server open counts arrive and again when the hosts' locations
   * become known at start — three syncs of 100,000 servers on a cold start's critical path.
   */
  private indexDeferred = false;
  /** Which host each server runs on and where that host is (kept current by the host registry). */
  readonly locations = new ServerLocations();

  private readonly ranges = new Map<string, semver.Range | null>();
  private readonly sessionsByServer = new Map<string, Set<string>>();
  /**
   * fleet → player → open session id. Nested rather than keyed by `fleet\0player`: a million
   * open sessions would each hold a concatenated key string (~56 bytes) beside the player id.
   */
  private readonly sessionByPlayer = new Map<string, Map<string, string>>();
  private readonly partySessions = new Map<string, Set<string>>();
  private readonly serverByToken = new Map<string, string>();
  private readonly latestRollout = new Map<string, string>();
  /** The earliest expiry among `migrationTokens` (Infinity when none). */
  private nextTokenExpiry = Infinity;
  /** Reserved sessions in opening order (Map keeps insertion order), so expiry reads only what expires. */
  private readonly reservedOrder = new Map<string, number>();
  /**
   * Servers changed since the reconciler last looked, by fleet: what an incremental pass plans
   * (src/reconcile/incremental.ts). A set per fleet, so it never outgrows the fleet.
   */
  private readonly touched = new Map<string, Set<string>>();
  /** Other readers' journals of the same changes (`subscribe`). */
  private readonly journals: ChangeJournal[] = [];
  /** Set while a snapshot is read in (see `reset`). */
  private loading = false;
  /**
   * While open sessions still stream in after a cold start (`state/session-load.ts`): per server,
   * how many of its open sessions are in the store but not yet here. `used` counts them, so the
   * allocator never gives out a seat a not-yet-loaded session holds. Null once all are loaded.
   */
  private pending: Map<string, number> | null = null;
  /** Sessions closed here while loading: a chunk read before their close committed must not revive them. */
  private readonly closedWhileLoading = new Set<string>();

  /**
   * `openCounts`: the store's open sessions per server, none of them in `s` (a lazy load, see
   * `beginSessionLoad`). The world takes the map over (100,000 entries at scale: not copied);
   * the caller must not change it after.
   */
  static fromSnapshot(s: Snapshot, openCounts?: Map<string, number>): World {
    const w = new World();
    w.indexDeferred = true;
    w.reset(s);
    if (openCounts) w.pending = openCounts;
    return w;
  }

  /** Servers with room per fleet and build (see `rooms`); built here on first use after a snapshot. */
  get capacity(): CapacityIndex {
    if (this.indexDeferred) this.buildCapacityIndex();
    return this.rooms;
  }

  /**
   * Ends a deferral begun by `fromSnapshot`: from now on the index is kept up to date, each
   * fleet's part built from its servers the first time it is asked (`CapacityIndex.defer`). A
   * no-op otherwise.
   */
  buildCapacityIndex(): void {
    if (!this.indexDeferred) return;
    this.indexDeferred = false;
    this.rooms.defer(this.serversByFleet.keys(), (fleet) => this.fleetCandidates(fleet));
  }

  private *fleetCandidates(fleet: string): Iterable<Candidate> {
    for (const id of this.serversByFleet.get(fleet)?.keys() ?? []) yield this.candidate(id) as Candidate;
  }

  /** Replaces everything with a snapshot of the store. */
  private reset(s: Snapshot): void {
    for (const m of [this.builds, this.fleets, this.servers, this.sessions, this.rollouts, this.idempotency, this.migrationTokens, this.ranges,
      this.serversByFleet, this.sessionsByServer, this.sessionByPlayer, this.partySessions, this.serverByToken, this.latestRollout, this.reservedOrder,
      this.touched]) {
      m.clear();
    }
    this.rooms.clear();
    this.resetJournals();
    this.pending = null;
    this.closedWhileLoading.clear();
    for (const b of s.builds) this.putBuild(b);
    for (const f of s.fleets) this.fleets.set(f.name, f);
    // A million sessions at a cold start: nothing is journalled for the reconciler (its first
    // pass plans every fleet whole), and the capacity index is built once, after (`capacity`).
    this.loading = true;
    try {
      for (const srv of s.servers) this.putServer(srv);
      for (const sess of [...s.openSessions].sort((a, b) => a.openedAt - b.openedAt)) this.addSession(this.shared(sess));
    } finally {
      this.loading = false;
    }
    if (!this.indexDeferred) for (const id of this.servers.keys()) this.syncCapacity(id);
    this.touched.clear();
    for (const r of s.activeRollouts) this.putRollout(r);
    for (const i of [...s.idempotency].sort((a, b) => a.expiresAt - b.expiresAt)) this.idempotency.set(key(i.fleet, i.key), i);
    this.nextTokenExpiry = Infinity;
    for (const t of s.migrationTokens ?? []) this.putMigrationToken(t);
    this.meta = { ...s.meta };
  }

  putBuild(b: Build): void {
    this.builds.set(b.id, b);
    this.ranges.set(b.id, parseClientRange(b.compatibleClients));
  }

  /** Whether the build accepts this client version (see `client-range.ts`); false for an unknown build. */
  accepts(buildId: string, clientVersion: string | null): boolean {
    const range = this.ranges.get(buildId);
    return range !== undefined && acceptsClient(range, clientVersion);
  }

  putServer(s: GameServer): void {
    if (isTerminal(s.state)) {
      this.servers.delete(s.id);
      this.serverByToken.delete(s.token);
      this.serversByFleet.get(s.fleet)?.delete(s.id);
      this.locations.untrack(s.id);
    } else {
      this.locations.track(s.id, s.identity);
      this.servers.set(s.id, s);
      this.serverByToken.set(s.token, s.id);
      let fleet = this.serversByFleet.get(s.fleet);
      if (!fleet) this.serversByFleet.set(s.fleet, (fleet = new Map()));
      fleet.set(s.id, s);
    }
    if (this.loading) return;
    this.syncCapacity(s.id);
    this.touchIn(s.fleet, s.id);
  }

  /**
   * A journal of its own for a reader other than the reconciler (a view kept up to date from
   * what changed): it sees every change `takeTouched` does, for the fleets it watches.
   */
  subscribe(): ChangeJournal {
    const j = new ChangeJournal();
    this.journals.push(j);
    return j;
  }

  /** `used` may have changed for many servers at once without a journal entry each: subscribers rebuild. */
  private resetJournals(): void {
    for (const j of this.journals) j.reset();
  }

  /** Notes a change to what the planner observes of a server (its sessions, roster, health). */
  touch(serverId: string): void {
    const s = this.servers.get(serverId);
    if (s) this.touchIn(s.fleet, serverId);
  }

  /** The servers of `fleet` changed since the last call (and forgets them). */
  takeTouched(fleet: string): Set<string> {
    const set = this.touched.get(fleet);
    if (!set) return new Set();
    this.touched.delete(fleet);
    return set;
  }

  private touchIn(fleet: string, serverId: string): void {
    let set = this.touched.get(fleet);
    if (!set) this.touched.set(fleet, (set = new Set()));
    set.add(serverId);
    for (const j of this.journals) j.note(fleet, serverId);
  }

  /** The server as the allocator sees it, whatever its state (undefined once it is gone). */
  candidate(serverId: string): Candidate | undefined {
    const s = this.servers.get(serverId);
    if (!s) return undefined;
    const c: Candidate = {
      id: s.id, build: s.build, state: s.state, capacity: s.capacity, used: this.used(s.id), createdAt: s.createdAt,
      // A fenced server (its host was lost and it was replaced) never takes anyone again, not even a party member.
      leaving: s.stopRequestedAt !== null || s.drainReason === 'shutdown-requested' || (s.fencedAt ?? null) !== null,
    };
    // Read in place (no copy of the location, no spread): asked after every occupancy change.
    const at = this.locations.hostLocation(serverId);
    if (at) {
      c.zone = at.zone;
      c.region = at.region;
      c.hostDown = at.down;
    }
    return c;
  }

  /**
   * A host's zone and region, and whether it takes new sessions, changed (or became known):
   * its servers' entries in the capacity index move with it. Costs the servers on that host.
   */
  setHostLocation(hostId: string, loc: HostLocation): void {
    for (const id of this.locations.setHost(hostId, loc)) this.syncCapacity(id);
  }

  private syncCapacity(serverId: string): void {
    if (this.indexDeferred) return;
    const s = this.servers.get(serverId);
    this.rooms.sync(serverId, s?.fleet ?? '', this.candidate(serverId));
  }

  serverForToken(token: string): GameServer | undefined {
    const id = this.serverByToken.get(token);
    return id === undefined ? undefined : this.servers.get(id);
  }

  fleetServers(fleet: string): GameServer[] {
    const servers = this.serversByFleet.get(fleet);
    return servers ? [...servers.values()] : [];
  }

  /** Fleets with at least one (non-terminal) server, deleted fleets' leftovers included. */
  fleetsWithServers(): string[] {
    return [...this.serversByFleet.keys()].filter((f) => (this.serversByFleet.get(f)?.size ?? 0) > 0);
  }

  fleetServerCount(fleet: string): number {
    return this.serversByFleet.get(fleet)?.size ?? 0;
  }

  /** Open sessions on a server (reserved or connected), counting those not yet loaded. */
  used(serverId: string): number {
    return (this.sessionsByServer.get(serverId)?.size ?? 0) + (this.pending?.get(serverId) ?? 0);
  }

  /** True while open sessions are still being loaded (some lookups must then ask the store). */
  get sessionsLoading(): boolean {
    return this.pending !== null;
  }

  /** Starts a lazy load: `openCounts` are the store's open sessions per server, none of them here yet. */
  beginSessionLoad(openCounts: ReadonlyMap<string, number>): void {
    this.pending = new Map(openCounts);
    this.resetJournals();
    for (const id of openCounts.keys()) this.syncCapacity(id);
  }

  /**
   * Takes in a session read from the store while loading, unless it is here already (loaded by
   * a lookup, or opened since the start) or was closed here since. True when taken in.
   */
  adoptStoredSession(s: Session): boolean {
    if (this.pending === null || s.state === 'Closed' || this.sessions.has(s.id) || this.closedWhileLoading.has(s.id)) return false;
    // Every open session in the store that is not here was counted at the start: it moves from
    // pending to loaded, so `used` (and the capacity index) does not change.
    const left = (this.pending.get(s.server) ?? 0) - 1;
    if (left > 0) this.pending.set(s.server, left);
    else this.pending.delete(s.server);
    // The player's newer session opened here since the start stays the one found by player.
    const current = this.sessionByPlayer.get(s.fleet)?.get(s.playerId);
    this.loading = true;
    try {
      this.addSession(this.shared(s));
    } finally {
      this.loading = false;
    }
    if (current !== undefined) this.sessionByPlayer.get(s.fleet)?.set(s.playerId, current);
    // A session the counts missed: its server's `used` grew, which readers of the journal must see.
    if (left < 0) {
      this.syncCapacity(s.server);
      this.touch(s.server);
    }
    return true;
  }

  /**
   * A session read from the store, its server, fleet and build strings replaced by the server
   * record's (one copy each instead of one per session: JSON.parse makes new strings) and empty
   * attributes by one shared frozen object: ~80 of ~330 bytes per session, at a million.
   */
  private shared(s: Session): Session {
    const server = this.servers.get(s.server);
    if (server) {
      s.server = server.id;
      if (s.fleet === server.fleet) s.fleet = server.fleet;
      if (s.build === server.build) s.build = server.build;
    }
    for (const _ in s.attributes) return s;
    s.attributes = NoAttributes;
    return s;
  }

  /** Ends a lazy load; returns how many counted sessions never arrived (0 unless the store changed under us). */
  finishSessionLoad(): number {
    const pending = this.pending;
    if (pending === null) return 0;
    this.pending = null;
    this.closedWhileLoading.clear();
    this.resetJournals();
    let missing = 0;
    for (const [id, n] of pending) {
      missing += n;
      this.syncCapacity(id);
    }
    // Reservations loaded late went in after newer ones: expiry reads them in opening order.
    const order = [...this.reservedOrder].sort((a, b) => a[1] - b[1]);
    this.reservedOrder.clear();
    for (const [id, at] of order) this.reservedOrder.set(id, at);
    return missing;
  }

  sessionsOn(serverId: string): Session[] {
    const ids = this.sessionsByServer.get(serverId);
    if (!ids) return [];
    return [...ids].map((id) => this.sessions.get(id)).filter((s): s is Session => s !== undefined);
  }

  openSessionOf(fleet: string, playerId: string): Session | undefined {
    const id = this.sessionByPlayer.get(fleet)?.get(playerId);
    return id === undefined ? undefined : this.sessions.get(id);
  }

  /** Servers hosting the party's open sessions, most members first. */
  partyServers(fleet: string, partyId: string): string[] {
    const counts = new Map<string, number>();
    for (const id of this.partySessions.get(key(fleet, partyId)) ?? []) {
      const s = this.sessions.get(id);
      if (s) counts.set(s.server, (counts.get(s.server) ?? 0) + 1);
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
  }

  addSession(s: Session): void {
    this.sessions.set(s.id, s);
    if (s.state === 'Reserved') this.reservedOrder.set(s.id, s.openedAt);
    let set = this.sessionsByServer.get(s.server);
    if (!set) this.sessionsByServer.set(s.server, (set = new Set()));
    set.add(s.id);
    if (!this.loading) {
      this.syncCapacity(s.server);
      this.touch(s.server);
    }
    let players = this.sessionByPlayer.get(s.fleet);
    if (!players) this.sessionByPlayer.set(s.fleet, (players = new Map()));
    players.set(s.playerId, s.id);
    if (s.partyId !== null) {
      let party = this.partySessions.get(key(s.fleet, s.partyId));
      if (!party) this.partySessions.set(key(s.fleet, s.partyId), (party = new Set()));
      party.add(s.id);
    }
  }

  updateSession(s: Session): void {
    this.sessions.set(s.id, s);
    if (s.state !== 'Reserved') this.reservedOrder.delete(s.id);
  }

  /** Ids of sessions still Reserved that opened before `openedBefore`, oldest first, at most `limit`. */
  expiredReservations(openedBefore: number, limit: number): string[] {
    const out: string[] = [];
    for (const [id, openedAt] of this.reservedOrder) {
      if (openedAt >= openedBefore || out.length >= limit) break;
      out.push(id);
    }
    return out;
  }

  /** Removes an open session from every index and returns its closed form (not yet persisted). */
  closeSession(id: string, reason: CloseReason, now: number): Session | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (this.pending !== null) this.closedWhileLoading.add(id);
    this.sessions.delete(id);
    this.reservedOrder.delete(id);
    const set = this.sessionsByServer.get(s.server);
    set?.delete(id);
    if (set && set.size === 0) this.sessionsByServer.delete(s.server);
    this.syncCapacity(s.server);
    this.touch(s.server);
    const players = this.sessionByPlayer.get(s.fleet);
    if (players?.get(s.playerId) === id) {
      players.delete(s.playerId);
      if (players.size === 0) this.sessionByPlayer.delete(s.fleet);
    }
    if (s.partyId !== null) {
      const party = this.partySessions.get(key(s.fleet, s.partyId));
      party?.delete(id);
      if (party && party.size === 0) this.partySessions.delete(key(s.fleet, s.partyId));
    }
    return { ...s, state: 'Closed', closedAt: now, closeReason: reason };
  }

  putRollout(r: Rollout): void {
    this.rollouts.set(r.id, r);
    const prev = this.latestRollout.get(r.fleet);
    const prevRollout = prev === undefined ? undefined : this.rollouts.get(prev);
    if (!prevRollout || prevRollout.id === r.id || prevRollout.createdAt <= r.createdAt) {
      this.latestRollout.set(r.fleet, r.id);
      // Keep one finished rollout per fleet in memory (it still drives retiring roles).
      if (prevRollout && prevRollout.id !== r.id && isTerminalPhase(prevRollout.phase)) this.rollouts.delete(prevRollout.id);
    }
  }

  latestRolloutOf(fleet: string): Rollout | undefined {
    const id = this.latestRollout.get(fleet);
    return id === undefined ? undefined : this.rollouts.get(id);
  }

  activeRolloutOf(fleet: string): Rollout | undefined {
    const r = this.latestRolloutOf(fleet);
    return r && !isTerminalPhase(r.phase) ? r : undefined;
  }

  idempotencyRecord(fleet: string, k: string): IdempotencyRecord | undefined {
    return this.idempotency.get(key(fleet, k));
  }

  putIdempotency(r: IdempotencyRecord): void {
    // Re-insert at the end so the map stays in expiry order.
    this.idempotency.delete(key(r.fleet, r.key));
    this.idempotency.set(key(r.fleet, r.key), r);
  }

  deleteIdempotency(fleet: string, k: string): void {
    this.idempotency.delete(key(fleet, k));
  }

  putMigrationToken(t: MigrationTokenRecord): void {
    this.migrationTokens.set(t.id, t);
    this.nextTokenExpiry = Math.min(this.nextTokenExpiry, t.expiresAt);
  }

  /**
   * Seats held on each build of a fleet for migrated players: one per unused, unexpired token.
   * Empty (and cheap) whenever no token is outstanding, which is almost always.
   */
  heldSeats(fleet: string, now: number): Map<string, number> {
    const held = new Map<string, number>();
    // Expired records are dropped here too (the store's copies go with the next sweep there, and
    // a load never returns them), so a migration long past costs allocations nothing.
    if (now >= this.nextTokenExpiry) this.expireMigrationTokens(now);
    if (this.migrationTokens.size === 0) return held;
    for (const t of this.migrationTokens.values()) {
      if (t.fleet === fleet && t.usedAt === null && t.expiresAt > now) held.set(t.build, (held.get(t.build) ?? 0) + 1);
    }
    return held;
  }

  /** Forgets migration tokens that expired at `now`; returns how many. */
  expireMigrationTokens(now: number): number {
    let n = 0;
    this.nextTokenExpiry = Infinity;
    for (const [id, t] of this.migrationTokens) {
      if (t.expiresAt <= now) {
        this.migrationTokens.delete(id);
        n++;
      } else this.nextTokenExpiry = Math.min(this.nextTokenExpiry, t.expiresAt);
    }
    return n;
  }

  /**
   * Forgets idempotency records that expired at `now`; returns how many. Records are kept in
   * expiry order (one TTL, inserted as they are made), so this stops at the first live one.
   */
  expireIdempotency(now: number): number {
    let n = 0;
    for (const [k, r] of this.idempotency) {
      if (r.expiresAt > now) break;
      this.idempotency.delete(k);
      n++;
    }
    return n;
  }
}
