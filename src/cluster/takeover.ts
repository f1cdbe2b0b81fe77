/**
 * Whether a replica may take the leadership lease now: the one rule, pure (the database's time
 * is a parameter), applied by store/postgres/lease.ts under the lease row's lock.
 *
 * A lease can be taken when it is free, expired, already this replica's (a restart after
 * kill -9), or — the fast path — when the database session its holder registered for this epoch
 * has ended. A leader keeps one session open for leadership; when its process dies (kill -9, a
 * crash, an exit), the kernel closes that socket and PostgreSQL ends the session at once, so
 * followers need not wait out the lease. A leader that is alive but paused (SIGSTOP, a long GC,
 * a partition that leaves its socket open) keeps its session, and is replaced only once its
 * lease expires. Neither path weakens fencing: every take bumps the epoch, and every commit
 * checks the epoch in the database, so an old leader that is still running writes nothing after.
 */

export interface LeaseObservation {
  holder: string;
  epoch: number;
  /** Database time, epoch ms. */
  expiresAt: number;
  /** The epoch whose holder registered `sessionAlive`'s session; null when none did (an older release took it). */
  sessionEpoch: number | null;
  /** Whether the registered session still exists. */
  sessionAlive: boolean;
}

export const TakeoverReasons = ['free', 'own', 'expired', 'holder-gone'] as const;
export type TakeoverReason = (typeof TakeoverReasons)[number];

export type TakeoverDecision = { take: true; reason: TakeoverReason } | { take: false };

/** `lease` as stored (null: never taken), `self` the replica asking, `now` the database's time. */
export function decideTakeover(lease: LeaseObservation | null, self: string, now: number): TakeoverDecision {
  if (lease === null) return { take: true, reason: 'free' };
  if (lease.holder === self) return { take: true, reason: 'own' };
  if (lease.expiresAt <= now) return { take: true, reason: 'expired' };
  // A session registered under an earlier epoch says nothing about the holder now: a replica of
  // the previous release takes the lease without registering one (docs/upgrades.md).
  if (lease.sessionEpoch === lease.epoch && !lease.sessionAlive) return { take: true, reason: 'holder-gone' };
  return { take: false };
}
