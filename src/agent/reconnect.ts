/**
 * Which control-plane URL an agent tries next, and when (pure: no I/O, no clock). An agent holds
 * one WebSocket to the leader among the control plane's replicas; a follower refuses the upgrade
 * with 503 NO_LEADER, naming the leader when it knows it (cluster/follower.ts). Such a refusal
 * costs nothing, so the agent goes on at once — to the named leader if it is in its list, else to
 * the next URL — and waits `reconnectMs` only once every URL has refused in a row (a take-over
 * under way: nobody leads yet) or after anything else (a refused connection, a dropped socket),
 * so a cluster without a leader is not hammered.
 */

export type AttemptOutcome =
  /** A follower refused the upgrade; `leaderUrl` is the leader it named, if any. */
  | { kind: 'not-leader'; leaderUrl?: string }
  /** Anything else: connection refused, handshake failed, an established connection closed. */
  | { kind: 'failed' };

export interface NextAttempt {
  /** Index into the URL list of the next attempt. */
  index: number;
  delayMs: number;
  /** Immediate retries made since the last wait (or the last welcome); carried to the next call. */
  quick: number;
}

export function nextAttempt(input: {
  urls: readonly string[];
  /** Index of the attempt that just ended. */
  current: number;
  outcome: AttemptOutcome;
  quick: number;
  reconnectMs: number;
}): NextAttempt {
  const { urls, current, outcome, reconnectMs } = input;
  const n = Math.max(1, urls.length);
  const following = (current + 1) % n;
  if (outcome.kind !== 'not-leader') return { index: following, delayMs: reconnectMs, quick: 0 };
  // Every URL has refused since the last wait: nobody leads right now, so wait before the next round.
  if (input.quick + 1 >= n) return { index: following, delayMs: reconnectMs, quick: 0 };
  const named = outcome.leaderUrl ? urls.findIndex((u) => sameBase(u, outcome.leaderUrl ?? '')) : -1;
  const index = named >= 0 && named !== current ? named : following;
  return { index, delayMs: 0, quick: input.quick + 1 };
}

function sameBase(a: string, b: string): boolean {
  const norm = (u: string): string => u.trim().replace(/\/+$/, '').toLowerCase();
  return norm(a) === norm(b);
}
