/**
 * How a simulated player's session ended, decided from what the player saw. Pure: no sockets,
 * no clock. "Interrupted" is the number a release must keep at zero: anything that cut the
 * player off other than their own leave or a graceful 4000 migration.
 */

/** Close codes with a meaning to the player (they match the arena's `ArenaCloseCodes`). */
export const PlayerCloseCodes = {
  normal: 1000,
  migrated: 4000,
} as const;

export interface CloseFacts {
  /** The player sent `{type:'leave'}` before the socket closed. */
  leaveSent: boolean;
  /** The close code (1006 when the connection dropped without a close frame). */
  code: number;
  /** The close reason text; the arena puts the SDK error code here when it refuses a join. */
  reason: string;
  /** Code or message of an `error` event on the socket (e.g. ECONNREFUSED), if any fired. */
  error: string | null;
  /** The player gave up waiting and terminated the socket itself. */
  timedOut: 'connect' | 'leave' | null;
}

export type SessionOutcome =
  | { kind: 'completed' }
  | { kind: 'migrated' }
  /** `cause` is a short stable key for grouping, e.g. `close:1006` or `error:ECONNREFUSED`. */
  | { kind: 'interrupted'; cause: string };

export function classifyClose(facts: CloseFacts): SessionOutcome {
  // A migration is graceful whether or not the player was leaving at the same moment.
  if (facts.code === PlayerCloseCodes.migrated && facts.timedOut === null) return { kind: 'migrated' };
  if (facts.timedOut !== null) return { kind: 'interrupted', cause: `timeout:${facts.timedOut}` };
  if (facts.error !== null) return { kind: 'interrupted', cause: `error:${facts.error}` };
  if (facts.leaveSent && facts.code === PlayerCloseCodes.normal) return { kind: 'completed' };
  const reason = facts.reason === '' ? '' : `:${facts.reason}`;
  return { kind: 'interrupted', cause: `close:${facts.code}${reason}` };
}
