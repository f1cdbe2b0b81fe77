/**
 * Session lifecycle after allocation: a game server confirms or ends a player's session
 * through the SDK, the API may close one, and reservations nobody used expire.
 * Server occupancy (Ready ↔ Active, `emptySince`) is kept in step here.
 */
import { HandoffError } from '../core/errors.js';
import { newSortableId } from '../core/ids.js';
import { joinTokenPolicy, type GameServer } from '../fleet/model.js';
import type { SdkSessionView } from '../sdk/protocol.js';
import { event, type Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import { JoinTokenKey } from './join-token.js';
import { signMigrationToken } from './migration-token.js';
import type { CloseReason, MigrationTokenRecord, Session } from './model.js';
import { keptRoster, planRoster, type PlayerHistory } from './plan-roster.js';
import { Rosters } from './rosters.js';

export interface SessionOptions {
  joinSecret: string;
  /** A reserved seat nobody connects to within this time is released. */
  reservationTtlMs: number;
  /**
   * A roster report does not close a session confirmed this recently: the confirmation and the
   * report may cross on the wire. Default 10 s, the SDK's request timeout.
   */
  rosterGraceMs?: number;
}

/** A game server's report of the players connected to it. */
export interface RosterReport {
  players: readonly string[];
  /** Player → the session id `sessionStarted` gave the server. */
  sessions: Readonly<Record<string, string>>;
}

export class SessionService {
  /** Each game server's own roster and whether it was observed since the restart. */
  readonly rosters: Rosters;
  private readonly joinKey: JoinTokenKey;

  constructor(
    private readonly ctx: Ctx,
    private readonly opts: SessionOptions,
  ) {
    this.joinKey = new JoinTokenKey(opts.joinSecret);
    // A roster change can change a plan: the reconciler's next pass looks at that server again.
    this.rosters = new Rosters((id) => ctx.world.touch(id));
  }

  /** Closes an open session in memory and returns the mutations that make it durable. */
  closeInMemory(sessionId: string, reason: CloseReason, now: number, extra: Pick<Session, 'migrationToken'> = {}): Mutation[] {
    const closed = this.ctx.world.closeSession(sessionId, reason, now);
    if (!closed) return [];
    // The server lets the player go (it is told, or it told us): they leave its roster.
    this.rosters.drop(closed.server, closed.playerId);
    return [
      { kind: 'putSession', session: { ...closed, ...extra } },
      ...occupancyChanged(this.ctx, closed.server, now),
      event(now, closed.fleet, 'session.closed', closed.id, `session of ${closed.playerId} closed: ${reason}`, { reason, server: closed.server, build: closed.build, connectedAt: closed.connectedAt }),
    ];
  }

  /**
   * A release's migration deadline: closes every open session on these servers as `migrated`
   * and tells each server which of its players went. With `to`, each player also gets a
   * migration token to `to.build` (in the notice, for the game server to hand on, and on the
   * closed session, for the matchmaker), whose record is committed with the close. The first
   * member of a migrated party to allocate looks for room for all of the party's migrated members.
   */
  migrateInMemory(serverIds: readonly string[], to: { build: string; tokenTtlMs: number } | null, now: number): Mutation[] {
    const { world } = this.ctx;
    const out: Mutation[] = [];
    const batch = serverIds.map((id) => [id, world.sessionsOn(id)] as const);
    const partySize = new Map<string, number>();
    for (const [, sessions] of batch) for (const s of sessions) if (s.partyId !== null) partySize.set(s.partyId, (partySize.get(s.partyId) ?? 0) + 1);
    // Expired tokens are swept whenever new ones are issued, so the records stay few.
    if (to && world.expireMigrationTokens(now) > 0) out.push({ kind: 'expireMigrationTokens', before: now });
    for (const [serverId, sessions] of batch) {
      const players: string[] = [];
      const tokens: Record<string, string> = {};
      for (const s of sessions) {
        players.push(s.playerId);
        if (!to) {
          out.push(...this.closeInMemory(s.id, 'migrated', now));
          continue;
        }
        const seats = s.partyId === null ? 1 : (partySize.get(s.partyId) ?? 1);
        const claims = { tid: s.id, fleet: s.fleet, playerId: s.playerId, partyId: s.partyId, build: to.build, seats, exp: now + to.tokenTtlMs };
        const token = signMigrationToken(this.opts.joinSecret, claims);
        const record: MigrationTokenRecord = {
          id: s.id, fleet: s.fleet, playerId: s.playerId, partyId: s.partyId, build: to.build, issuedAt: now, expiresAt: claims.exp, usedAt: null, usedBy: null,
        };
        world.putMigrationToken(record);
        tokens[s.playerId] = token;
        out.push({ kind: 'putMigrationToken', token: record }, ...this.closeInMemory(s.id, 'migrated', now, { migrationToken: token }));
      }
      if (players.length > 0) this.ctx.notify(serverId, { type: 'sessions-closed', players, reason: 'migrated', at: now, ...(to ? { tokens } : {}) });
    }
    return out;
  }

  /** DELETE /v1/sessions/:id */
  async close(sessionId: string, reason: CloseReason): Promise<Session> {
    if (this.ctx.world.sessionsLoading) await this.ctx.sessionLoad?.session(sessionId);
    const open = this.ctx.world.sessions.get(sessionId);
    if (!open) {
      const stored = await this.ctx.store.getSession(sessionId);
      if (!stored) throw new HandoffError('SESSION_NOT_FOUND', undefined, { sessionId });
      throw new HandoffError('SESSION_CLOSED', undefined, { sessionId, closeReason: stored.closeReason });
    }
    const now = this.ctx.clock.now();
    const mutations = this.closeInMemory(sessionId, reason, now);
    await this.ctx.persister.persist(mutations);
    // The game server must hear of it too, so it can tell the player and free the seat.
    this.ctx.notify(open.server, { type: 'sessions-closed', players: [open.playerId], reason, at: now });
    return { ...open, state: 'Closed', closedAt: now, closeReason: reason };
  }

  /**
   * SDK: the game server reports that a player connected, with the join token the player
   * presented. The token is verified here, so a game server need not trust its players: it must
   * be signed by this control plane, unexpired, and name this server, this player and the
   * player's open session on it. Without one the call is refused (JOIN_TOKEN_REQUIRED) unless
   * the fleet opted out with `joinTokens: optional`.
   *
   * A token admits one session. It is dead once that session has closed, even before it
   * expires: the player's next allocation is a new session with a new token. While the session
   * stays Connected, a repeat from the same server for the same player with a valid token gets
   * the same answer again. The SDK retries `sessionStarted` when an answer is lost, and the
   * control plane cannot tell that retry from a second socket presenting the same token; both
   * come from the one server holding the seat, for the same player and session, and are granted
   * nothing new. Whether a second socket may take the seat over is the game server's decision,
   * as only it knows which sockets are open (the arena resumes a seat only with the token that
   * took it).
   */
  async started(serverId: string, playerId: string, joinToken: string | null): Promise<SdkSessionView> {
    await this.playerLoaded(serverId, playerId);
    const server = this.requireServer(serverId);
    const fleet = this.ctx.world.fleets.get(server.fleet);
    const optional = fleet !== undefined && joinTokenPolicy(fleet) === 'optional';
    if (joinToken === null && !optional) throw new HandoffError('JOIN_TOKEN_REQUIRED', undefined, { playerId, serverId, fleet: server.fleet });
    const session = this.ctx.world.openSessionOf(server.fleet, playerId);
    if (!session || session.server !== serverId) {
      throw new HandoffError('SESSION_NOT_ALLOCATED', `player ${playerId} has no open session on ${serverId}`, { playerId, serverId });
    }
    const now = this.ctx.clock.now();
    if (joinToken !== null) {
      const claims = this.joinKey.verify(joinToken, now);
      if (!claims || claims.sessionId !== session.id || claims.serverId !== serverId || claims.playerId !== playerId) {
        throw new HandoffError('JOIN_TOKEN_INVALID', undefined, { playerId, serverId });
      }
    }
    if (session.state === 'Reserved') {
      const connected: Session = { ...session, state: 'Connected', connectedAt: now };
      this.ctx.world.updateSession(connected);
      this.rosters.add(serverId, playerId);
      await this.ctx.persister.persist([{ kind: 'putSession', session: connected }]);
    } else {
      // A repeat (SDK retry) answers once the first call's change is durable.
      await this.ctx.persister.persist([]);
    }
    return { sessionId: session.id, playerId, partyId: session.partyId, attributes: session.attributes };
  }

  /**
   * SDK: the game server reports that a player left. Idempotent: an already-closed session, or
   * (with `sessionId`) a report about an older session of the player, changes nothing.
   */
  async ended(serverId: string, playerId: string, reason: CloseReason, sessionId: string | null = null): Promise<void> {
    await this.playerLoaded(serverId, playerId);
    const server = this.requireServer(serverId);
    const session = this.ctx.world.openSessionOf(server.fleet, playerId);
    // Already closed (a retry) or about an older session: answer once what is known is durable.
    if (!session || session.server !== serverId || (sessionId !== null && session.id !== sessionId)) {
      // Not hosted here by the store's account, but perhaps on the server's own roster: not any more.
      // (A late report about an older session leaves the player's current one alone.)
      if (!session || session.server !== serverId) this.rosters.drop(serverId, playerId);
      await this.ctx.persister.persist([]);
      return;
    }
    const mutations = this.closeInMemory(session.id, reason, this.ctx.clock.now());
    // Observed empty by its own account: the store's count can be trusted for this server again.
    if (this.ctx.world.used(serverId) === 0) this.rosters.verify(serverId);
    await this.ctx.persister.persist(mutations);
  }

  /**
   * SDK: the game server reports every player connected to it (see plan-roster.ts for the
   * rules). Replaces its roster, verifies it, and recovers, confirms or closes sessions so the
   * store agrees with the server.
   */
  async reportRoster(serverId: string, report: RosterReport): Promise<void> {
    // Planned against every session of the server and of its players: waits for all to be loaded.
    if (this.ctx.world.sessionsLoading) await this.ctx.sessionLoad?.loaded;
    const players = [...new Set(report.players)];
    // The store lookups come first; everything after them is one synchronous step on a fresh
    // read of the world, so no session can change between planning and applying.
    const history = await this.rosterHistory(this.requireServer(serverId), players, report.sessions);
    const server = this.requireServer(serverId);
    const { world } = this.ctx;
    const now = this.ctx.clock.now();
    const onServer = world.sessionsOn(serverId);
    const elsewhere = new Set(players.filter((p) => {
      const open = world.openSessionOf(server.fleet, p);
      return open !== undefined && open.server !== serverId;
    }));
    const plan = planRoster({ players, onServer, elsewhere, history, now, graceMs: this.opts.rosterGraceMs ?? 10_000 });

    const mutations: Mutation[] = [];
    for (const id of plan.confirm) {
      const open = world.sessions.get(id);
      if (!open) continue;
      const connected: Session = { ...open, state: 'Connected', connectedAt: now };
      world.updateSession(connected);
      mutations.push({ kind: 'putSession', session: connected });
    }
    for (const { playerId, sessionId } of plan.recover) {
      const recovered: Session = {
        id: sessionId ?? newSortableId('ses', now), fleet: server.fleet, server: serverId, build: server.build, playerId,
        // What only the allocation knew (party, client version, region, attributes) is lost with it.
        partyId: null, clientVersion: null, region: null, attributes: {},
        state: 'Connected', openedAt: now, connectedAt: now, closedAt: null, closeReason: null,
      };
      world.addSession(recovered);
      mutations.push({ kind: 'putSession', session: recovered }, event(now, server.fleet, 'session.recovered', recovered.id, `session of ${playerId} recovered from ${serverId}'s roster`, { server: serverId, build: server.build }));
    }
    for (const id of plan.close) mutations.push(...this.closeInMemory(id, 'roster', now));
    mutations.push(...occupancyChanged(this.ctx, serverId, now));
    this.rosters.set(serverId, keptRoster(players, plan));
    if (plan.confirm.length + plan.recover.length + plan.close.length + plan.elsewhere.length + plan.stale.length + plan.undecided.length > 0) {
      const counts = { confirmed: plan.confirm.length, recovered: plan.recover.length, closed: plan.close.length, elsewhere: plan.elsewhere, stale: plan.stale };
      mutations.push(event(now, server.fleet, 'server.roster', serverId, `${serverId} reported ${players.length} players; sessions reconciled`, counts));
    }
    // Players whose session the control plane closed are still there: tell the server again.
    if (plan.stale.length > 0) this.ctx.notify(serverId, { type: 'sessions-closed', players: plan.stale, reason: 'closed', at: now });
    await this.ctx.persister.persist(mutations);
  }

  /** For roster players with no open session in the fleet: did the control plane close it, and under which id may it come back? */
  private async rosterHistory(server: GameServer, players: readonly string[], known: Readonly<Record<string, string>>): Promise<Map<string, PlayerHistory>> {
    const out = new Map<string, PlayerHistory>();
    for (const playerId of players) {
      if (this.ctx.world.openSessionOf(server.fleet, playerId)) continue;
      const id = Object.hasOwn(known, playerId) ? known[playerId] : undefined;
      if (id !== undefined) {
        const stored = await this.ctx.store.getSession(id);
        const closedHere = stored?.server === server.id && stored.state === 'Closed';
        // An id the store has never seen comes back as is, so the server's later sessionEnded matches it.
        out.set(playerId, { closedByControlPlane: closedHere, reuseId: stored ? null : id });
      } else {
        const [latest] = await this.ctx.store.listSessions({ server: server.id, playerId, limit: 1 });
        out.set(playerId, { closedByControlPlane: latest?.state === 'Closed', reuseId: null });
      }
    }
    return out;
  }

  /** While sessions load after a cold start: the player's open session in the server's fleet is read in first. */
  private async playerLoaded(serverId: string, playerId: string): Promise<void> {
    const gate = this.ctx.sessionLoad;
    if (!this.ctx.world.sessionsLoading || !gate) return;
    await gate.player(this.requireServer(serverId).fleet, playerId);
  }

  /**
   * Releases seats reserved longer than the TTL that nobody connected to. Bounded per call so a
   * burst of expiries never stalls the event loop; the next pass takes the rest. Like health,
   * a reservation's age counts only from `observingSince`: after a pause or a restart, the
   * player's confirmation may be waiting in a socket.
   */
  expireReservations(now: number, observingSince = -Infinity, limit = 500): Mutation[] {
    const out: Mutation[] = [];
    if (now - observingSince <= this.opts.reservationTtlMs) return out;
    for (const id of this.ctx.world.expiredReservations(now - this.opts.reservationTtlMs, limit)) {
      out.push(...this.closeInMemory(id, 'expired', now));
    }
    return out;
  }

  private requireServer(serverId: string): GameServer {
    const server = this.ctx.world.servers.get(serverId);
    if (!server) throw new HandoffError('SERVER_NOT_FOUND', undefined, { serverId });
    return server;
  }
}

/**
 * Keeps a server's state and `emptySince` in step with its session count after a change.
 * Returns the mutation for the server when it changed.
 */
export function occupancyChanged(ctx: Pick<Ctx, 'world'>, serverId: string, now: number): Mutation[] {
  const s = ctx.world.servers.get(serverId);
  if (!s) return [];
  const used = ctx.world.used(serverId);
  let next: GameServer = s;
  if (used > 0) {
    if (s.state === 'Ready') next = { ...s, state: 'Active', emptySince: null };
    else if (s.emptySince !== null) next = { ...s, emptySince: null };
  } else {
    if (s.state === 'Active') next = { ...s, state: 'Ready', emptySince: now };
    else if (s.emptySince === null && s.state !== 'Starting') next = { ...s, emptySince: now };
  }
  if (next === s) return [];
  ctx.world.putServer(next);
  return [{ kind: 'putServer', server: next }];
}
