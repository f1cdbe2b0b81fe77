/**
 * When to try a delivery again: exponential back-off with full jitter, capped, for a bounded
 * number of attempts. Pure: the random draw is a parameter, so tests pin it.
 */
export interface RetryPolicy {
  /** The delay before the second attempt, before jitter. */
  baseMs: number;
  /** No delay grows beyond this. */
  maxMs: number;
  /** Attempts in all, the first included; after the last failure the delivery is `failed`. */
  maxAttempts: number;
}

export const DefaultRetryPolicy: RetryPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: 8 };

/**
 * The delay after failed attempt number `attempt` (1 = the first), or null when no attempt is
 * left. `random` is in [0, 1). Half the delay is fixed and half is jitter, so receivers that
 * failed together do not retry together, and no retry comes sooner than half the back-off.
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: number): number | null {
  if (attempt >= policy.maxAttempts) return null;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1));
}
