/**
 * A player session. `Reserved`: a slot is held for the player, who has not connected yet.
 * `Connected`: the game server confirmed the player through the SDK. `Closed` is terminal.
 */
export const SessionStates = ['Reserved', 'Connected', 'Closed'] as const;
export type SessionState = (typeof SessionStates)[number];

export const CloseReasons = [
  'ended', // the game ended it normally (player left, match over)
  'disconnected', // the player dropped and did not come back in time
  'expired', // reserved but the player never connected
  'migrated', // closed at a release drain deadline so the next allocation lands on the new build
  'api', // an operator or the matchmaker closed it through the API
  'server_crashed', // the hosting process died unexpectedly
  'server_stopped', // the hosting process was stopped while the session was open
  'roster', // the game server's own roster no longer had the player (their end was never reported)
  'maintenance', // closed at a maintenance window's session deadline, announced in advance: planned downtime
  'host_lost', // its host's agent stayed silent past the host-lost timeout (docs/hosts.md): cut off by the host, not by Handoff
  'error', // the game ended it because something went wrong (a desync, a fault): reported through the SDK, counted as abnormal
] as const;
export type CloseReason = (typeof CloseReasons)[number];

/**
 * Close reasons that mean a player was cut off involuntarily, whoever caused it. A release must
 * cause none. The reason itself says who did: only `server_stopped` is Handoff's own doing (the
 * safety checks count that one as a violation); `server_crashed` is the game's, `host_lost` the
 * host's (a machine or network gone). An interruption is counted whatever its cause, so a chaos
 * run or a release test that loses a host reports it rather than hides it.
 */
export const InterruptingReasons: readonly CloseReason[] = ['server_crashed', 'server_stopped', 'host_lost'];

export interface Session {
  id: string;
  fleet: string;
  server: string;
  build: string;
  playerId: string;
  partyId: string | null;
  clientVersion: string | null;
  region: string | null;
  attributes: Record<string, string>;
  state: SessionState;
  openedAt: number;
  connectedAt: number | null;
  closedAt: number | null;
  closeReason: CloseReason | null;
  /**
   * Set on a session closed as `migrated` by a release: the player's migration token, which the
   * matchmaker presents with their next allocation to land on the release's build (see
   * `migration-token.ts`). Absent on every other session.
   */
  migrationToken?: string;
  /** Set on a session placed by a migration token: the id of the token (the session it replaced). */
  migratedFrom?: string;
}

/**
 * The durable record of one migration token: what was issued, to whom, and whether it was used.
 * The token itself is signed and self-describing; this record is what makes it single-use (a
 * used record refuses a second allocation, also after a restart) and what the allocator counts
 * as seats held for migrated players. Kept until it expires.
 */
export interface MigrationTokenRecord {
  /** The token id: the id of the session the migration closed. */
  id: string;
  fleet: string;
  playerId: string;
  partyId: string | null;
  /** The build the token places the player on. */
  build: string;
  issuedAt: number;
  expiresAt: number;
  usedAt: number | null;
  /** The session the token placed. */
  usedBy: string | null;
}
