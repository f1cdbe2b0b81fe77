import type { Clock, TimerHandle } from '../../src/core/clock.js';
import type { Notice, SdkEndReason } from '../../src/sdk/protocol.js';
import { ArenaCloseCodes, type ClientMessage, type PlayerView, type ServerMessage } from './messages.js';

/** One player's socket as the room sees it. The server adapts a `ws` WebSocket to this. */
export interface PlayerLink {
  send(msg: ServerMessage): void;
  close(code: number, reason: string): void;
}

export type EndReason = SdkEndReason;

export interface RoomOptions {
  clock: Clock;
  /** How long a dropped player's seat (and session) is kept for a reconnect. */
  reconnectGraceMs: number;
  version: string;
  serverId: string;
  /** Reports the end of a session to the control plane (the SDK's `sessionEnded`). */
  endSession(playerId: string, reason: EndReason, sessionId: string): Promise<void>;
  log(line: string): void;
}

interface Seat {
  playerId: string;
  sessionId: string;
  /** The token the player joined with; presenting it again resumes the seat without the SDK. */
  joinToken: string | null;
  score: number;
  /** Null while the player is disconnected and inside the reconnect grace. */
  link: PlayerLink | null;
  graceTimer: TimerHandle | null;
}

/**
 * The arena's room: seats, scores, reconnect grace and how notices reach players.
 * It does no I/O of its own: sockets come in as `PlayerLink`s, time as a `Clock`, and the
 * control plane as `endSession`, so it is tested with fakes and a fake clock.
 */
export class ArenaRoom {
  private readonly seats = new Map<string, Seat>();
  private drain: { reason: string; deadline: number | null } | null = null;
  /** The latest maintenance notice: a player who joins before the window must be told too. */
  private maintenance: { message: string; startsAt: number | null } | null = null;
  private migration: { build: string; deadline: number } | null = null;
  private readonly pendingEnds = new Set<Promise<void>>();

  constructor(private readonly opts: RoomOptions) {}

  /** Seats held, connected or inside the reconnect grace: each is an open session. */
  get playerCount(): number {
    return this.seats.size;
  }

  /** True when the player holds a seat and presents the token they joined with. */
  canResume(playerId: string, joinToken: string | null): boolean {
    const seat = this.seats.get(playerId);
    return seat !== undefined && joinToken !== null && seat.joinToken === joinToken;
  }

  /** Seats a player the control plane confirmed, or re-seats one who already holds a seat. */
  join(playerId: string, sessionId: string, joinToken: string | null, link: PlayerLink): void {
    const seat = this.seats.get(playerId);
    if (seat) {
      seat.sessionId = sessionId;
      seat.joinToken = joinToken;
      this.attach(seat, link, true);
      return;
    }
    const fresh: Seat = { playerId, sessionId, joinToken, score: 0, link: null, graceTimer: null };
    this.seats.set(playerId, fresh);
    this.attach(fresh, link, false);
  }

  /** Reattaches a player who reconnected with the same token. Call only after `canResume`. */
  resume(playerId: string, link: PlayerLink): void {
    const seat = this.seats.get(playerId);
    if (seat) this.attach(seat, link, true);
  }

  receive(playerId: string, link: PlayerLink, msg: ClientMessage): void {
    const seat = this.seats.get(playerId);
    // A superseded socket may still deliver a frame or two; only the current one counts.
    if (!seat || seat.link !== link) return;
    if (msg.type === 'score') {
      seat.score += msg.points;
      return;
    }
    this.release(seat);
    // Close before reporting: the control plane may stop this server as soon as it is empty,
    // and the player must already have its normal close by then. `settled()` awaits the report.
    link.close(ArenaCloseCodes.normal, 'bye');
    this.opts.log(`player left player=${playerId} session=${seat.sessionId} score=${seat.score}`);
    this.report(playerId, seat.sessionId, 'ended');
  }

  /** The player's socket closed without a leave: hold the seat for the reconnect grace. */
  dropped(playerId: string, link: PlayerLink): void {
    const seat = this.seats.get(playerId);
    if (!seat || seat.link !== link) return;
    seat.link = null;
    this.opts.log(`player dropped player=${playerId} graceMs=${this.opts.reconnectGraceMs}`);
    seat.graceTimer = this.opts.clock.setTimeout(() => {
      seat.graceTimer = null;
      this.release(seat);
      this.opts.log(`player did not return player=${playerId} session=${seat.sessionId}`);
      this.report(playerId, seat.sessionId, 'disconnected');
    }, this.opts.reconnectGraceMs);
  }

  /** Ends a player's session in error (a desync, say): the socket closes with 4003, reported as `error`. */
  fail(playerId: string, sessionId: string, why: string): void {
    const seat = this.seats.get(playerId);
    // The session may have ended meanwhile, and the player joined again in a new one.
    if (!seat || seat.sessionId !== sessionId) return;
    this.release(seat);
    seat.link?.close(ArenaCloseCodes.gameError, why);
    this.opts.log(`session ended in error player=${playerId} session=${seat.sessionId} why=${why}`);
    this.report(playerId, seat.sessionId, 'error');
  }

  /** Sends the game state to every connected player. The server calls it on an interval. */
  tick(): void {
    const players: PlayerView[] = [...this.seats.values()].map((s) => ({
      id: s.playerId,
      score: s.score,
      connected: s.link !== null,
    }));
    this.broadcast({ type: 'tick', players, version: this.opts.version, serverId: this.opts.serverId });
  }

  /** Applies a control-plane notice. `shutdown` is the server's business, not the room's. */
  notice(notice: Notice): void {
    switch (notice.type) {
      case 'drain':
        // The watch replays a standing drain after every reconnect: tell players only once.
        if (this.drain?.reason === notice.reason && this.drain.deadline === notice.deadline) return;
        this.drain = { reason: notice.reason, deadline: notice.deadline };
        this.broadcast({ type: 'notice', kind: 'drain', reason: notice.reason, deadline: notice.deadline });
        return;
      case 'migrate':
        // Replayed after every reconnect of the watch, like a drain: tell players only once.
        if (this.migration?.build === notice.build && this.migration.deadline === notice.deadline) return;
        this.migration = { build: notice.build, deadline: notice.deadline };
        this.broadcast({ type: 'notice', kind: 'migrate', ...this.migration });
        return;
      case 'drain-cancelled':
        if (this.drain === null && this.migration === null) return;
        this.drain = null;
        this.migration = null;
        this.broadcast({ type: 'notice', kind: 'drain-cancelled' });
        return;
      case 'maintenance':
        // Like a drain, a replayed notice (after a watch reconnect) is shown once.
        if (this.maintenance?.message === notice.message && this.maintenance.startsAt === notice.startsAt) return;
        this.maintenance = { message: notice.message, startsAt: notice.startsAt };
        this.broadcast({ type: 'notice', kind: 'maintenance', ...this.maintenance });
        return;
      case 'sessions-closed':
        for (const playerId of notice.players) this.migrate(playerId, notice.reason, notice.tokens?.[playerId]);
        return;
      case 'shutdown':
        return;
    }
  }

  /** Closes every socket and drops every seat without reporting: the control plane is stopping us. */
  closeAll(code: number, reason: string): void {
    for (const seat of [...this.seats.values()]) {
      this.release(seat);
      seat.link?.close(code, reason);
    }
  }

  /** Resolves once every `sessionEnded` report in flight has finished (successfully or not). */
  async settled(): Promise<void> {
    while (this.pendingEnds.size > 0) await Promise.all([...this.pendingEnds]);
  }

  private attach(seat: Seat, link: PlayerLink, resumed: boolean): void {
    if (seat.graceTimer) this.opts.clock.clearTimeout(seat.graceTimer);
    seat.graceTimer = null;
    const previous = seat.link;
    seat.link = link;
    if (previous && previous !== link) previous.close(ArenaCloseCodes.superseded, 'superseded');
    link.send({
      type: 'welcome',
      playerId: seat.playerId,
      sessionId: seat.sessionId,
      version: this.opts.version,
      serverId: this.opts.serverId,
      resumed,
    });
    // Players who join after the drain notice must hear about it too.
    if (this.drain) link.send({ type: 'notice', kind: 'drain', ...this.drain });
    if (this.maintenance) link.send({ type: 'notice', kind: 'maintenance', ...this.maintenance });
    if (this.migration) link.send({ type: 'notice', kind: 'migrate', ...this.migration });
    this.opts.log(`player ${resumed ? 'resumed' : 'joined'} player=${seat.playerId} session=${seat.sessionId}`);
  }

  private migrate(playerId: string, reason: string, migrationToken: string | undefined): void {
    const seat = this.seats.get(playerId);
    if (!seat) return;
    // The control plane already closed the session, so there is nothing to report back.
    this.release(seat);
    // The token is the player's ticket onto the new build: only they get it.
    seat.link?.send(migrationToken === undefined ? { type: 'migrate', reason } : { type: 'migrate', reason, migrationToken });
    seat.link?.close(ArenaCloseCodes.migrated, 'migrated');
    this.opts.log(`player migrated player=${playerId} session=${seat.sessionId} reason=${reason}`);
  }

  private release(seat: Seat): void {
    if (seat.graceTimer) this.opts.clock.clearTimeout(seat.graceTimer);
    seat.graceTimer = null;
    this.seats.delete(seat.playerId);
  }

  private report(playerId: string, sessionId: string, reason: EndReason): void {
    const pending = this.opts
      .endSession(playerId, reason, sessionId)
      .catch((e: unknown) => this.opts.log(`sessionEnded failed player=${playerId} error=${describe(e)}`))
      .finally(() => this.pendingEnds.delete(pending));
    this.pendingEnds.add(pending);
  }

  private broadcast(msg: ServerMessage): void {
    for (const seat of this.seats.values()) seat.link?.send(msg);
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return 'code' in e && typeof e.code === 'string' ? e.code : e.message;
  return String(e);
}
