/**
 * What retention removes in one pass. The event log and closed sessions would otherwise grow for
 * ever (every allocation appends an event and, eventually, a closed session). A record goes when
 * it is older than its age limit OR beyond its count limit, oldest first, at most `batchSize` of
 * each kind per pass, so one pass is a few milliseconds of work on the event loop.
 */

export interface RetentionPolicy {
  /** Events older than this are removed. */
  eventsMaxAgeMs: number;
  /** Only the newest this many event sequence numbers are kept. */
  eventsMax: number;
  /** Sessions closed longer ago than this are removed. Open sessions are never touched. */
  sessionsMaxAgeMs: number;
  /** Only the newest this many closed sessions (by closedAt) are kept. */
  sessionsMax: number;
  /** Records of each kind removed per pass at most. */
  batchSize: number;
  /** Time between passes when nothing is left to remove. */
  intervalMs: number;
  /** Time between passes while a backlog is being worked off. */
  backlogIntervalMs: number;
}

const DayMs = 24 * 60 * 60 * 1000;

export const DefaultRetentionPolicy: RetentionPolicy = {
  eventsMaxAgeMs: 30 * DayMs,
  eventsMax: 1_000_000,
  sessionsMaxAgeMs: 30 * DayMs,
  sessionsMax: 1_000_000,
  batchSize: 500,
  intervalMs: 60_000,
  backlogIntervalMs: 250,
};

export interface RetentionStatsView {
  newestEventSeq: number | null;
  /** The oldest `batchSize` events, oldest first. */
  oldestEvents: ReadonlyArray<{ seq: number; at: number }>;
  /**
   * Events after this sequence number are still to be read (the webhook outbox's cursor) and are
   * kept whatever their age or count; null when nothing follows the log.
   */
  eventsReadUpTo?: number | null;
  closedSessions: number;
  /** The oldest `batchSize` closed sessions, oldest closed first. */
  oldestClosedSessions: ReadonlyArray<{ id: string; closedAt: number }>;
}

export interface RetentionPlan {
  /** Delete every event with seq <= this; null for none. */
  deleteEventsThroughSeq: number | null;
  /** How many of `oldestEvents` that removes. */
  eventCount: number;
  deleteSessionIds: string[];
  /** True when a full batch goes: more may be due, so the next pass comes soon. */
  more: boolean;
}

/** Pure: the deletions due at `now`. Both kinds are removed as a prefix of their oldest-first order. */
export function planRetention(now: number, policy: RetentionPolicy, stats: RetentionStatsView): RetentionPlan {
  const eventCutoff = now - policy.eventsMaxAgeMs;
  const lowestKeptSeq = stats.newestEventSeq === null ? -Infinity : stats.newestEventSeq - policy.eventsMax + 1;
  const events = stats.oldestEvents.slice(0, policy.batchSize);
  let eventCount = 0;
  const readUpTo = stats.eventsReadUpTo ?? Infinity;
  for (const e of events) {
    if (e.seq <= readUpTo && (e.at < eventCutoff || e.seq < lowestKeptSeq)) eventCount++;
    else break;
  }

  const sessionCutoff = now - policy.sessionsMaxAgeMs;
  const excess = Math.max(0, stats.closedSessions - policy.sessionsMax);
  const sessions = stats.oldestClosedSessions.slice(0, policy.batchSize);
  const deleteSessionIds: string[] = [];
  for (const [i, s] of sessions.entries()) {
    if (s.closedAt < sessionCutoff || i < excess) deleteSessionIds.push(s.id);
    else break;
  }

  return {
    deleteEventsThroughSeq: eventCount > 0 ? (events[eventCount - 1]?.seq ?? null) : null,
    eventCount,
    deleteSessionIds,
    more: (eventCount > 0 && eventCount === policy.batchSize) || (deleteSessionIds.length > 0 && deleteSessionIds.length === policy.batchSize),
  };
}

export function resolveRetentionPolicy(p: Partial<RetentionPolicy> = {}): RetentionPolicy {
  const r = { ...DefaultRetentionPolicy, ...p };
  for (const [k, v] of Object.entries(r)) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`retention ${k} must be positive, got ${v}`);
  }
  for (const k of ['eventsMax', 'sessionsMax', 'batchSize'] as const) {
    if (!Number.isInteger(r[k])) throw new RangeError(`retention ${k} must be a whole number, got ${r[k]}`);
  }
  return r;
}
