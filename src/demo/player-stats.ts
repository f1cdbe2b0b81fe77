import type { SessionOutcome } from './player-outcome.js';

/** What one simulated player (or, summed, a whole pool) has seen. Counters only grow. */
export interface PlayerStats {
  /** Successful allocation responses. */
  allocations: number;
  /** Failed allocation attempts by error code, retryable ones (NO_CAPACITY) included. */
  allocationErrors: Record<string, number>;
  /** Sessions where the arena's welcome (or a first tick) arrived. */
  sessionsOpened: number;
  /** Sessions ended by the player's own leave. */
  sessionsCompleted: number;
  /** Sessions the server closed with 4000 (the control plane migrated the player). */
  sessionsMigrated: number;
  /** Sessions cut off by anything else. A release must keep this at 0. */
  sessionsInterrupted: number;
  /** Interrupted sessions by cause, e.g. `close:1006`, `close:4001:JOIN_TOKEN_INVALID`. */
  interruptions: Record<string, number>;
  /** Opened sessions by the build the allocation named (`server.build`). */
  sessionsByBuild: Record<string, number>;
  /** Allocations that returned a session the player already had open (`reconnected: true`). */
  reconnects: number;
  scoresSent: number;
  /** Drain notices received: "a new version is available, finish your match". */
  drainNotices: number;
}

export function emptyStats(): PlayerStats {
  return {
    allocations: 0,
    allocationErrors: {},
    sessionsOpened: 0,
    sessionsCompleted: 0,
    sessionsMigrated: 0,
    sessionsInterrupted: 0,
    interruptions: {},
    sessionsByBuild: {},
    reconnects: 0,
    scoresSent: 0,
    drainNotices: 0,
  };
}

export function recordOutcome(stats: PlayerStats, outcome: SessionOutcome): void {
  switch (outcome.kind) {
    case 'completed':
      stats.sessionsCompleted += 1;
      return;
    case 'migrated':
      stats.sessionsMigrated += 1;
      return;
    case 'interrupted':
      stats.sessionsInterrupted += 1;
      increment(stats.interruptions, outcome.cause);
      return;
  }
}

export function increment(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** Sums several players' stats into a new object; the inputs are not modified. */
export function sumStats(all: readonly PlayerStats[]): PlayerStats {
  const total = emptyStats();
  for (const s of all) {
    total.allocations += s.allocations;
    total.sessionsOpened += s.sessionsOpened;
    total.sessionsCompleted += s.sessionsCompleted;
    total.sessionsMigrated += s.sessionsMigrated;
    total.sessionsInterrupted += s.sessionsInterrupted;
    total.reconnects += s.reconnects;
    total.scoresSent += s.scoresSent;
    total.drainNotices += s.drainNotices;
    addCounts(total.allocationErrors, s.allocationErrors);
    addCounts(total.interruptions, s.interruptions);
    addCounts(total.sessionsByBuild, s.sessionsByBuild);
  }
  return total;
}

/** A deep copy, so callers can keep a snapshot while the player goes on counting. */
export function copyStats(s: PlayerStats): PlayerStats {
  return sumStats([s]);
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [key, n] of Object.entries(from)) increment(into, key, n);
}
