/**
 * The safety-net sweep in slices. An incremental pass plans only what changed or came due
 * (incremental.ts); as a net against a tally or deadline that drifted, every server is also
 * re-planned periodically. Planning a 10,000-server fleet whole in one pass took ~0.7 s of CPU
 * with 100,000 sessions in the heap, which made that pass block the event loop far past 200 ms.
 * Instead a sweep walks the fleet's servers a slice per pass, each slice taken as if touched:
 * re-observed, re-tallied and planned with the rest, which is always safe (the plan of a
 * subset that lists more servers equals the whole plan). New servers are touched when created,
 * and a server removed mid-sweep is skipped when its turn comes, so a cycle over the ids taken
 * at its start covers the fleet.
 */

export interface SweepCursor {
  /** The fleet's servers when the cycle began. */
  readonly ids: readonly string[];
  /** Index of the first server not yet swept. */
  readonly next: number;
}

/** A cycle over these servers, starting at the first. */
export function startSweep(ids: readonly string[]): SweepCursor {
  return { ids, next: 0 };
}

/**
 * Pure: the next slice of at most `size` servers (at least one), where the cycle goes on, and
 * whether this slice ends it.
 */
export function nextSweepSlice(c: SweepCursor, size: number): { slice: readonly string[]; cursor: SweepCursor; done: boolean } {
  const end = Math.min(c.ids.length, c.next + Math.max(1, Math.floor(size)));
  return { slice: c.ids.slice(c.next, end), cursor: { ids: c.ids, next: end }, done: end >= c.ids.length };
}
