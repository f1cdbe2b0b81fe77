/**
 * Session lifecycle after allocation: a game server confirms or ends a player's session
 * through the SDK, the API may close one, and reservations nobody used expire.
 * Server occupancy (Ready ↔ Active, `emptySince`) is kept in step here.
 */
import { HandoffError } from '../core/errors.js';
import type { GameServer } from '../fleet/model.js';
import type { SdkSessionView } from '../sdk/protocol.js';
import { event, type Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import { verifyJoinToken } from './join-token.js';
import type { CloseReason, Session } from './model.js';

export interface SessionOptions {
  joinSecret: string;
  /** A reserved seat nobody connects to within this time is released. */
  reservationTtlMs: number;
}

export class SessionService {
  constructor(
    private readonly ctx: Ctx,
    private readonly opts: SessionOptions,
  ) {}

  /** Closes an open session in memory and returns the mutations that make it durable. */
  closeInMemory(sessionId: string, reason: CloseReason, now: number): Mutation[] {
    const closed = this.ctx.world.closeSession(sessionId, reason, now);
    if (!closed) return [];
    return [
      { kind: 'putSession', session: closed },
      ...occupancyChanged(this.ctx, closed.server, now),
      event(now, closed.fleet, 'session.closed', closed.id, `session of ${closed.playerId} closed: ${reason}`, { reason, server: closed.server, build: closed.build }),
    ];
  }

  /** DELETE /v1/sessions/:id */
  async close(sessionId: string, reason: CloseReason): Promise<Session> {
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

  /** SDK: the game server reports that a player connected. */
  async started(serverId: string, playerId: string, joinToken: string | null): Promise<SdkSessionView> {
    const server = this.requireServer(serverId);
    const session = this.ctx.world.openSessionOf(server.fleet, playerId);
    if (!session || session.server !== serverId) {
      throw new HandoffError('SESSION_NOT_ALLOCATED', `player ${playerId} has no open session on ${serverId}`, { playerId, serverId });
    }
    const now = this.ctx.clock.now();
    if (joinToken !== null) {
      const claims = verifyJoinToken(this.opts.joinSecret, joinToken, now);
      if (!claims || claims.sessionId !== session.id || claims.serverId !== serverId || claims.playerId !== playerId) {
        throw new HandoffError('JOIN_TOKEN_INVALID', undefined, { playerId, serverId });
      }
    }
    if (session.state === 'Reserved') {
      const connected: Session = { ...session, state: 'Connected', connectedAt: now };
      this.ctx.world.updateSession(connected);
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
    const server = this.requireServer(serverId);
    const session = this.ctx.world.openSessionOf(server.fleet, playerId);
    // Already closed (a retry) or about an older session: answer once what is known is durable.
    if (!session || session.server !== serverId || (sessionId !== null && session.id !== sessionId)) {
      await this.ctx.persister.persist([]);
      return;
    }
    await this.ctx.persister.persist(this.closeInMemory(session.id, reason, this.ctx.clock.now()));
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
