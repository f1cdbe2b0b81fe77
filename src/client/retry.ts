/**
 * When to try a request again, and where: the pure half of the failover transport. A failed
 * attempt is classified by what it proves — nothing reached a replica, something may have been
 * applied, or a replica answered — and only failures that cannot have changed anything (or
 * requests that are safe to repeat) are retried.
 */

/**
 * How an attempt failed. `unreached`: no connection was made (refused, no route, name not
 * found), so nothing was sent. `broken`: the connection broke or timed out after the request
 * may have been sent — a write may have been applied. `answered`: a replica answered with an
 * error status.
 */
export type AttemptFailure =
  | { kind: 'unreached'; detail: string }
  | { kind: 'broken'; detail: string }
  | { kind: 'answered'; status: number; code: string; retryAfterMs: number | null };

export interface RetryPolicy {
  /** How long after the first attempt a retry may still start. 0: never retry. */
  budgetMs: number;
  /** The first back-off; doubled every round of URLs, jittered. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Error codes worth retrying besides the ones that say nothing was changed (see
   * `NothingChangedCodes`), e.g. NO_CAPACITY for a matchmaker that would rather wait than fail.
   */
  extraCodes: readonly string[];
}

/**
 * Answers after which nothing was changed and another replica, or the same one a moment later,
 * may succeed: a follower without a leader, a leader that lost its lease or its database, one
 * shutting down, one refusing load.
 */
export const NothingChangedCodes: readonly string[] = ['NO_LEADER', 'STORE_FENCED', 'STORE_UNAVAILABLE', 'SHUTTING_DOWN', 'OVERLOADED'];

/** Statuses a load balancer or proxy in front of the replicas answers with when a replica is gone. */
const GatewayStatuses: readonly number[] = [502, 503, 504];

export interface RetryInput {
  failure: AttemptFailure;
  /** Whether sending the request twice is harmless (a read, a PUT/DELETE, an idempotency key). */
  idempotent: boolean;
  /** Failed attempts so far, this one included (1 after the first failure). */
  attempts: number;
  /** How many URLs the transport rotates through. */
  urls: number;
  /** Time since the first attempt started. */
  elapsedMs: number;
  policy: RetryPolicy;
  /** A number in [0, 1) for jitter. */
  random: number;
}

export type RetryDecision = { retry: false; reason: string } | { retry: true; delayMs: number };

/**
 * Decides whether to retry after a failed attempt and how long to wait first. The transport
 * always moves to the next URL for a retry: the replica that failed is the least likely to
 * answer next. Within a round of URLs a connection failure moves on at once; after a full
 * round, or after an answer, it backs off exponentially with jitter, and never sooner than the
 * answer's Retry-After.
 */
export function decideRetry(input: RetryInput): RetryDecision {
  const { failure, policy } = input;
  const why = worthRetrying(failure, input.idempotent, policy);
  if (why !== null) return { retry: false, reason: why };
  const round = Math.floor((input.attempts - 1) / Math.max(1, input.urls));
  const moveOnAtOnce = failure.kind === 'unreached' && input.attempts % Math.max(1, input.urls) !== 0;
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** round);
  const jittered = moveOnAtOnce ? 0 : Math.round(backoff / 2 + (backoff / 2) * input.random);
  const retryAfter = failure.kind === 'answered' ? (failure.retryAfterMs ?? 0) : 0;
  const delayMs = Math.max(jittered, retryAfter);
  if (input.elapsedMs + delayMs > policy.budgetMs) return { retry: false, reason: `retry budget of ${policy.budgetMs} ms spent` };
  return { retry: true, delayMs };
}

/** Null when the failure is worth retrying; otherwise why not. */
function worthRetrying(failure: AttemptFailure, idempotent: boolean, policy: RetryPolicy): string | null {
  switch (failure.kind) {
    case 'unreached':
      return null;
    case 'broken':
      return idempotent ? null : 'the connection broke after the request may have been applied, and it is not idempotent';
    case 'answered':
      if (NothingChangedCodes.includes(failure.code) || policy.extraCodes.includes(failure.code)) return null;
      // A proxy's own error page (not our error body): the replica behind it may be gone.
      if (failure.code === `HTTP_${failure.status}` && GatewayStatuses.includes(failure.status) && idempotent) return null;
      return `${failure.code} is not retried`;
  }
}

/** Parses a `Retry-After` header (delay-seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
