/**
 * The light simulator's world: one fleet, its servers as flat records, its release and routing,
 * and the allocator's real capacity index. Sessions are not objects: a server holds counts (the
 * control plane's open sessions, the players really on it, ends it has not delivered yet) and
 * each session is one entry of the end calendar (`queue.ts`).
 *
 * Each server record carries both sides, kept apart on purpose:
 * - the control plane's view (state, `cpUsed`, roster, unverified, deadlines it announced), which
 *   is what the planners see and what a restart reloads from the last commit;
 * - the machine's truth (`alive`, `trueUsed`, the notices the game server actually heard), which
 *   is what interruptions are judged on, never the control plane's own account.
 */
import { CapacityIndex } from '../../allocation/capacity-index.js';
import type { Candidate, CandidateView } from '../../allocation/candidates.js';
import type { RoutingTable } from '../../allocation/routing.js';
import type { ServerState } from '../../fleet/model.js';
import type { ServerObservation } from '../../fleet/plan-fleet.js';
import type { Rollout } from '../../rollout/model.js';
import type { RolloutServer } from '../../rollout/strategy.js';

export const FLEET = 'nines';

export interface NServer {
  slot: number;
  id: string;
  build: string;
  capacity: number;
  createdAt: number;
  // The control plane's view.
  state: ServerState;
  cpUsed: number;
  emptySince: number | null;
  stopRequestedAt: number | null;
  drainReason: string | null;
  drainDeadline: number | null;
  migrateTo: string | null;
  /** Not heard from since the control plane (re)started: the planner must not trust `cpUsed` = 0. */
  unverified: boolean;
  /** The server reported its roster to this control plane (it then keeps it current). */
  reported: boolean;
  // The machine's truth.
  alive: boolean;
  /** The process finished booting (it calls `ready` once the control plane answers). */
  booted: boolean;
  /** Its SDK watch stream is connected: notices reach it. */
  watching: boolean;
  trueUsed: number;
  /** Ends the control plane has not heard of yet (it was down): delivered when the server reconnects. */
  pendingEnds: number;
  drainNoticed: boolean;
  maintenanceNoticed: boolean;
  /** Bumped when all its sessions are closed at once: queued ends of older sessions are stale. */
  epoch: number;
  /** Its count changed this tick and is not yet in the index (see `NinesSim.players`). */
  dirty: boolean;
}

/** The fields a control-plane restart reloads from the last commit (everything else is the machine's). */
type Committed = Pick<NServer, 'state' | 'cpUsed' | 'emptySince' | 'stopRequestedAt' | 'drainReason' | 'drainDeadline' | 'migrateTo'>;

export interface Snapshot {
  rollout: Rollout | null;
  routing: RoutingTable;
  currentBuild: string;
  servers: Map<number, Committed>;
}

export class World {
  readonly servers: NServer[] = [];
  /** Slots of servers that are not terminal in the control plane's view (what it observes). */
  readonly live = new Set<number>();
  readonly index = new CapacityIndex();
  rollout: Rollout | null = null;
  routing: RoutingTable;
  currentBuild: string;
  readonly view: CandidateView;
  private readonly byId = new Map<string, number>();

  constructor(build: string) {
    this.currentBuild = build;
    this.routing = { entries: [{ build, weight: 100 }] };
    const index = this.index;
    this.view = {
      get: (id) => {
        const s = this.byIdOrNull(id);
        return s ? candidate(s) : undefined;
      },
      fullest: (b, seats) => index.fullest(FLEET, b, seats),
      freeSeats: (b) => index.freeSeats(FLEET, b),
    };
  }

  add(build: string, capacity: number, now: number): NServer {
    const slot = this.servers.length;
    const s: NServer = {
      slot, id: `s${String(slot).padStart(6, '0')}`, build, capacity, createdAt: now,
      state: 'Starting', cpUsed: 0, emptySince: null, stopRequestedAt: null, drainReason: null, drainDeadline: null, migrateTo: null,
      unverified: false, reported: true, alive: true, booted: false, watching: false, trueUsed: 0, pendingEnds: 0,
      drainNoticed: false, maintenanceNoticed: false, epoch: 0, dirty: false,
    };
    this.servers.push(s);
    this.byId.set(s.id, slot);
    this.live.add(slot);
    return s;
  }

  byIdOrNull(id: string): NServer | undefined {
    const slot = this.byId.get(id);
    return slot === undefined ? undefined : this.servers[slot];
  }

  /** Call after any change to a server's state, count or stop: keeps the allocator's index true. */
  sync(s: NServer): void {
    this.index.sync(s.id, FLEET, this.live.has(s.slot) ? candidate(s) : undefined);
  }

  /** The control plane forgets a server (it exited, or crashed). */
  retire(s: NServer, state: 'Stopped' | 'Crashed'): void {
    s.state = state;
    this.live.delete(s.slot);
    this.sync(s);
  }

  /** One session more (or less, with -1) as the control plane counts them; Ready ⇄ Active as the service does. */
  setCpUsed(s: NServer, used: number, now: number): void {
    s.cpUsed = used;
    if (used > 0) {
      s.emptySince = null;
      if (s.state === 'Ready') s.state = 'Active';
    } else {
      s.emptySince ??= now;
      if (s.state === 'Active') s.state = 'Ready';
    }
    this.sync(s);
  }

  liveServers(): NServer[] {
    const out: NServer[] = [];
    for (const slot of this.live) out.push(this.servers[slot] as NServer);
    return out;
  }

  /** What a release planner observes (as `RolloutService.observe`). */
  rolloutServers(): RolloutServer[] {
    return this.liveServers().map((s) => ({ id: s.id, build: s.build, state: s.state, used: s.cpUsed, migrationDeadline: s.migrateTo ? s.drainDeadline : null }));
  }

  /** What the fleet planner observes (as `FleetReconciler.passFleet`); every live server pinged within the tick. */
  fleetServers(now: number): ServerObservation[] {
    return this.liveServers().map((s) => ({
      id: s.id, build: s.build, state: s.state, used: s.cpUsed, roster: s.reported ? s.trueUsed : 0, unverified: s.unverified,
      createdAt: s.createdAt, lastHealthAt: s.booted ? now : null, emptySince: s.emptySince, stopRequestedAt: s.stopRequestedAt,
    }));
  }

  commit(): Snapshot {
    const servers = new Map<number, Committed>();
    for (const slot of this.live) {
      const s = this.servers[slot] as NServer;
      servers.set(slot, { state: s.state, cpUsed: s.cpUsed, emptySince: s.emptySince, stopRequestedAt: s.stopRequestedAt, drainReason: s.drainReason, drainDeadline: s.drainDeadline, migrateTo: s.migrateTo });
    }
    return { rollout: this.rollout, routing: this.routing, currentBuild: this.currentBuild, servers };
  }

  /** Back to a commit: what the control plane knew then (servers it launched since are forgotten by it). */
  restore(snap: Snapshot): void {
    this.rollout = snap.rollout;
    this.routing = snap.routing;
    this.currentBuild = snap.currentBuild;
    for (const slot of [...this.live]) if (!snap.servers.has(slot)) this.live.delete(slot);
    for (const [slot, c] of snap.servers) {
      const s = this.servers[slot] as NServer;
      Object.assign(s, c);
      this.live.add(slot);
    }
    for (const s of this.servers) this.sync(s);
  }
}

function candidate(s: NServer): Candidate {
  return { id: s.id, build: s.build, state: s.state, capacity: s.capacity, used: s.cpUsed, createdAt: s.createdAt, leaving: s.stopRequestedAt !== null };
}
