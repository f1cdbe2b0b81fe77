/**
 * The arena's wire protocol with its players (JSON text frames over WebSocket).
 * Simulated players (src/demo/player.ts) read the same shapes.
 */

/** WebSocket close codes the arena uses. 4000–4999 are reserved for applications. */
export const ArenaCloseCodes = {
  /** The player left with `{type:'leave'}`. */
  normal: 1000,
  /** The server is shutting down. A release only stops empty servers, so players rarely see it. */
  goingAway: 1001,
  /** The control plane closed the session (release migration deadline): re-allocate to continue, with the migration token if given. */
  migrated: 4000,
  /** The join was refused; the close reason is the SDK error code. */
  rejected: 4001,
  /** The same player connected again; the newer socket wins. */
  superseded: 4002,
  /** The game ended the session in error (the `--abnormal-close-rate` fault): reported as `error`. */
  gameError: 4003,
} as const;

export interface PlayerView {
  id: string;
  score: number;
  /** False while the player is inside the reconnect grace. */
  connected: boolean;
}

export type ServerMessage =
  | { type: 'welcome'; playerId: string; sessionId: string; version: string; serverId: string; resumed: boolean }
  | { type: 'tick'; players: PlayerView[]; version: string; serverId: string }
  | { type: 'notice'; kind: 'drain'; reason: string; deadline: number | null }
  | { type: 'notice'; kind: 'drain-cancelled' }
  /** A release moves this server's players to `build` at `deadline`. */
  | { type: 'notice'; kind: 'migrate'; build: string; deadline: number }
  | { type: 'notice'; kind: 'maintenance'; message: string; startsAt: number | null }
  /** `migrationToken`: pass it with the next allocation to land on the new build (with the party). */
  | { type: 'migrate'; reason: string; migrationToken?: string };

export type ClientMessage = { type: 'score'; points: number } | { type: 'leave' };

/** Largest score a single message may add; keeps a misbehaving client from overflowing totals. */
export const MAX_POINTS_PER_MESSAGE = 100;

/** Parses one text frame from a player. Returns undefined for anything malformed. */
export function parseClientMessage(raw: string): ClientMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const msg = value as Record<string, unknown>;
  if (msg.type === 'leave') return { type: 'leave' };
  if (msg.type === 'score') {
    const points = msg.points;
    if (typeof points !== 'number' || !Number.isFinite(points) || points < 0 || points > MAX_POINTS_PER_MESSAGE) {
      return undefined;
    }
    return { type: 'score', points };
  }
  return undefined;
}
