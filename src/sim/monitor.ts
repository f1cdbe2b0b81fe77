/**
 * The simulation's judge. It watches from the players' side and from the machine's side — never
 * trusting the control plane's own account — and records every breach of the promises a
 * release makes:
 * - no session is closed except by its player, by an announced migration or maintenance, or by
 *   a crash of its server;
 * - no server is stopped while it hosts a session (or a player);
 * - no slot is given twice (a server never hosts more than its capacity, a player plays once);
 * - a party never splits across builds unless its server could not take the member (full,
 *   leaving, unhealthy) or the fleet follows routing;
 * - every new session lands on a build the routing routes to (a party member aside);
 * - every player a game server hosts has an open session there (the control plane never loses
 *   track of one, not even across a restart).
 */
import type { AllocationResponse } from '../api/schemas.js';
import type { Clock } from '../core/clock.js';
import type { RoutingTable } from '../allocation/routing.js';
import type { PartyPolicy } from '../fleet/model.js';
import type { Disconnect } from '../runtime/simulated/game-server.js';
import type { World } from '../state/world.js';
import type { StateStore } from '../store/port.js';
import { emptyStats, type SimStats } from './stats.js';

export const ViolationKinds = [
  'closed-without-notice', 'stopped-under-player', 'stopped-with-open-session', 'slot-overbooked', 'player-twice',
  'party-split', 'misrouted', 'join-refused', 'ghost-session', 'untracked-player', 'unexpected-answer', 'control-plane-error', 'premise', 'expectation',
] as const;
export type ViolationKind = (typeof ViolationKinds)[number];

export interface Violation {
  at: number;
  kind: ViolationKind;
  detail: string;
}

/** What was true just before an allocation decision (taken synchronously inside the call). */
export interface AllocationContext {
  playerId: string;
  partyId: string | null;
  routing: RoutingTable;
  partyPolicy: PartyPolicy;
  /** The player's open session before the call, if any (the answer is then a reconnect). */
  openServer: string | null;
  /** Servers hosting the player's party, with their build and whether one could take a member. */
  party: { server: string; build: string; takes: boolean }[];
}

const TRACE = 60;
/** How long a player may play on a server without an open session there before it counts: joins and restarts take a moment. */
const UNTRACKED_GRACE_MS = 15_000;

export class Monitor {
  readonly violations: Violation[] = [];
  readonly stats: SimStats = emptyStats();
  private readonly trace: string[] = [];
  /** Sessions closed under a player with a reason the notice did not make clear: judged from the store at the end. */
  private readonly unclear: { at: number; playerId: string; sessionId: string; reason: string; announced: boolean }[] = [];
  /** Each breach is reported once, however many checks see it. */
  private readonly reported = new Set<string>();
  /** player@server → since when the server hosts the player without an open session there. */
  private readonly untracked = new Map<string, number>();

  /** Times are reported from `origin` (the scenario's start), in ms. */
  constructor(private readonly clock: Clock, private readonly origin = clock.now()) {}

  private get at(): number {
    return this.clock.now() - this.origin;
  }

  note(text: string): void {
    this.trace.push(`+${(this.at / 1000).toFixed(1)}s ${text}`);
    if (this.trace.length > TRACE) this.trace.shift();
  }

  recentTrace(): string[] {
    return [...this.trace];
  }

  violation(kind: ViolationKind, detail: string): void {
    const key = `${kind}\u0000${detail}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.note(`VIOLATION ${kind}: ${detail}`);
    this.violations.push({ at: this.at, kind, detail });
  }

  beforeAllocation(world: World, fleetName: string, playerId: string, partyId: string | null): AllocationContext {
    const fleet = world.fleets.get(fleetName);
    const open = world.openSessionOf(fleetName, playerId);
    const party = partyId === null ? [] : world.partyServers(fleetName, partyId).flatMap((id) => {
      const s = world.servers.get(id);
      if (!s) return [];
      // The documented rule, restated: running, not on its way out, with room (clients all accepted here).
      const running = s.state === 'Ready' || s.state === 'Active' || s.state === 'Draining';
      const leaving = s.stopRequestedAt !== null || s.drainReason === 'shutdown-requested';
      return [{ server: id, build: s.build, takes: running && !leaving && world.used(id) < s.capacity }];
    });
    return {
      playerId, partyId, routing: fleet?.routing ?? { entries: [] }, partyPolicy: fleet?.partyPolicy ?? 'together',
      openServer: open?.server ?? null, party,
    };
  }

  afterAllocation(ctx: AllocationContext, world: World, answer: AllocationResponse & { outcome: string }): void {
    const { server } = answer;
    this.stats.allocations += 1;
    if (answer.outcome !== 'created') {
      if (ctx.openServer !== null && ctx.openServer !== server.id) this.violation('player-twice', `${ctx.playerId} reconnected to ${server.id}, but its open session was on ${ctx.openServer}`);
      return;
    }
    if (ctx.openServer !== null) this.violation('player-twice', `${ctx.playerId} got a second session on ${server.id} while one was open on ${ctx.openServer}`);
    this.stats.sessionsByBuild[server.build] = (this.stats.sessionsByBuild[server.build] ?? 0) + 1;
    const s = world.servers.get(server.id);
    if (s && world.used(s.id) > s.capacity) this.violation('slot-overbooked', `${s.id} hosts ${world.used(s.id)} sessions for ${s.capacity} slots after ${ctx.playerId}`);
    if (ctx.party.length > 0) {
      if (ctx.party.some((p) => p.build === server.build)) return;
      const couldJoin = ctx.party.filter((p) => p.takes);
      if (ctx.partyPolicy === 'follow-routing' || couldJoin.length === 0) {
        this.stats.allowedPartySplits += 1;
        this.note(`party ${ctx.partyId} split onto ${server.build}: its servers could not take ${ctx.playerId}`);
      } else {
        this.violation('party-split', `${ctx.playerId} of party ${ctx.partyId} went to ${server.build} although ${couldJoin.map((p) => `${p.server} (${p.build})`).join(', ')} had room`);
      }
    }
    const routed = new Set([...ctx.routing.entries.filter((e) => e.weight > 0).map((e) => e.build), ...(ctx.routing.rules ?? []).map((r) => r.build)]);
    if (!routed.has(server.build) && !ctx.party.some((p) => p.takes)) {
      this.violation('misrouted', `${ctx.playerId} landed on ${server.build}; routing sends new sessions to ${[...routed].join(', ') || 'nothing'}`);
    }
  }

  /** A player was dropped by their server: judge why. */
  onDisconnect(playerId: string, sessionId: string, serverId: string, how: Disconnect): void {
    if (how.kind === 'server-exit') {
      if (how.stopped) this.violation('stopped-under-player', `${serverId} was stopped while ${playerId} played on it`);
      else this.stats.lostToCrash += 1;
      return;
    }
    const announced = how.reason === 'maintenance' ? how.maintenanceNoticeAt !== null : how.drainNoticeAt !== null;
    if (how.reason === 'migrated' && announced) this.stats.migratedWithNotice += 1;
    else if (how.reason === 'maintenance' && announced) this.stats.closedForMaintenance += 1;
    else if (how.reason === 'migrated' || how.reason === 'maintenance') this.violation('closed-without-notice', `${playerId} on ${serverId} closed as ${how.reason} with no notice before`);
    // A close the server heard of only after reporting its roster carries no reason: the store says.
    else this.unclear.push({ at: this.at, playerId, sessionId, reason: how.reason, announced });
  }

  /** A signal is about to reach a server: none may be stopped while it hosts anyone. */
  onStopSignal(world: World | null, serverId: string, signal: string, players: number): void {
    if (players > 0) this.violation('stopped-under-player', `${signal} to ${serverId} while ${players} players are on it`);
    const open = world?.sessionsOn(serverId).length ?? 0;
    if (open > 0) this.violation('stopped-with-open-session', `${signal} to ${serverId} while the control plane has ${open} open sessions on it`);
  }

  /** Continuous checks over the control plane's state and the players the game servers host. */
  checkSlots(world: World | null, hosted: { serverId: string; players: string[] }[]): void {
    const seen = new Map<string, string>();
    for (const { serverId, players } of hosted) {
      const capacity = world?.servers.get(serverId)?.capacity;
      if (capacity !== undefined && players.length > capacity) this.violation('slot-overbooked', `${serverId} hosts ${players.length} players for ${capacity} slots`);
      for (const p of players) {
        const other = seen.get(p);
        if (other !== undefined) this.violation('player-twice', `${p} plays on ${other} and ${serverId} at once`);
        seen.set(p, serverId);
      }
    }
    if (!world) return;
    for (const s of world.servers.values()) {
      if (world.used(s.id) > s.capacity) this.violation('slot-overbooked', `${s.id} has ${world.used(s.id)} open sessions for ${s.capacity} slots`);
    }
    this.checkTracked(world, hosted);
  }

  /** A player playing where the control plane has no open session for them: it could stop that server under them. */
  private checkTracked(world: World, hosted: { serverId: string; players: string[] }[]): void {
    const now = this.clock.now();
    const current = new Set<string>();
    for (const { serverId, players } of hosted) {
      const fleet = world.servers.get(serverId)?.fleet;
      for (const p of players) {
        if (fleet !== undefined && world.openSessionOf(fleet, p)?.server === serverId) continue;
        const key = `${p}@${serverId}`;
        current.add(key);
        const since = this.untracked.get(key) ?? now;
        this.untracked.set(key, since);
        if (now - since >= UNTRACKED_GRACE_MS) this.violation('untracked-player', `${p} has played on ${serverId} for ${UNTRACKED_GRACE_MS / 1000} s and more with no open session there`);
      }
    }
    for (const key of this.untracked.keys()) if (!current.has(key)) this.untracked.delete(key);
  }

  /** End of run: unclear closes judged by the store, and no session left open once every player left. */
  async finalChecks(world: World, store: StateStore): Promise<void> {
    for (const u of this.unclear) {
      const closeReason = (await store.getSession(u.sessionId))?.closeReason ?? 'unknown';
      if (closeReason === 'migrated' && u.announced) this.stats.migratedWithNotice += 1;
      else this.violation('closed-without-notice', `${u.playerId}'s session ${u.sessionId} closed under them (${closeReason}, told "${u.reason}")`);
    }
    this.unclear.length = 0;
    for (const s of world.sessions.values()) this.violation('ghost-session', `${s.id} of ${s.playerId} on ${s.server} is still ${s.state} after every player left`);
    const stopped = await store.listSessions({ open: false, limit: 1_000_000 });
    for (const s of stopped) if (s.closeReason === 'server_stopped') this.violation('stopped-with-open-session', `${s.id} of ${s.playerId} closed because ${s.server} was stopped`);
  }
}
