/**
 * First plans within a budget. A fleet with no memo (every fleet just after a restart, or one
 * just created) must be planned whole: observing and recording each of its servers costs ~10 µs,
 * so ten 10,000-server fleets planned in one pass blocked the event loop for over a second after
 * a restart, while allocations waited behind it. Instead a pass plans whole at most `budget`
 * servers' worth of such fleets (always at least one fleet, so a fleet larger than the budget is
 * not starved), the longest-waiting first; the others wait for a later pass, untouched (no
 * rollout step, no start, no stop), which is what a slower pass interval would do to them.
 *
 * Pure: the reconciler says which fleets wait and since when.
 */

export interface WaitingFleet {
  fleet: string;
  /** Servers a whole plan of it would observe. */
  servers: number;
  /** When it was first found waiting (earlier goes first). */
  since: number;
}

export const DefaultFirstPlanBudget = 10_000;

/** The fleets to plan whole in this pass; the rest of `waiting` waits. */
export function chooseFirstPlans(waiting: readonly WaitingFleet[], budget: number): Set<string> {
  const order = [...waiting].sort((a, b) => a.since - b.since || (a.fleet < b.fleet ? -1 : a.fleet > b.fleet ? 1 : 0));
  const chosen = new Set<string>();
  let used = 0;
  for (const w of order) {
    if (chosen.size > 0 && used + w.servers > budget) continue;
    chosen.add(w.fleet);
    used += w.servers;
  }
  return chosen;
}
