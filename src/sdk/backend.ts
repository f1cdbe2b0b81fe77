import type { CloseReason } from '../session/model.js';
import type { MetricReport, Notice, SdkSelf, SdkSessionView } from './protocol.js';

/**
 * What the SDK endpoint needs from the control plane. The endpoint does HTTP only; every
 * decision and state change happens behind this interface. Methods throw HandoffError.
 */
export interface SdkBackend {
  /** Token → server id, or undefined for an unknown token or a stopped server. Synchronous. */
  authenticate(token: string): string | undefined;
  ready(serverId: string): Promise<void>;
  /** Liveness ping; cheap and in-memory. */
  health(serverId: string): void;
  /** Confirms a connecting player. Throws SESSION_NOT_ALLOCATED / JOIN_TOKEN_INVALID / JOIN_TOKEN_REQUIRED. */
  sessionStarted(serverId: string, playerId: string, joinToken: string | null): Promise<SdkSessionView>;
  /** Closes the player's open session on this server; with `sessionId`, only that session. Idempotent. */
  sessionEnded(serverId: string, playerId: string, reason: CloseReason, sessionId: string | null): Promise<void>;
  setCapacity(serverId: string, capacity: number): Promise<void>;
  /** Every player connected to the server now, with the session ids it knows; sessions are reconciled with it. */
  reportRoster(serverId: string, players: string[], sessions: Record<string, string>): Promise<void>;
  /** Custom metrics the game reports (protocol 4); in memory only, never an error for a bad name. */
  reportMetrics(serverId: string, metrics: readonly MetricReport[]): void;
  /** The game server asks to be drained and stopped once empty. */
  requestShutdown(serverId: string): Promise<void>;
  /** A promise while the control plane still loads the server's sessions after a cold start. */
  self(serverId: string): SdkSelf | Promise<SdkSelf>;
  /**
   * Notices for one server. Standing notices (an active drain) are replayed to the listener
   * immediately, so a game server that (re)connects its watch never misses one.
   * Returns an unsubscribe function.
   */
  subscribe(serverId: string, listener: (notice: Notice) => void): () => void;
}
