/**
 * The types of a release's background analysis (see `background.ts`): its options, which every
 * release takes whatever its strategy, and what the release keeps about it in the store.
 */
import type { AnalysisSpec } from '../analysis/spec.js';

export const InconclusivePolicies = ['continue', 'pause'] as const;
export type InconclusivePolicy = (typeof InconclusivePolicies)[number];

export interface BackgroundAnalysis extends AnalysisSpec {
  /** Seconds between checks; the first is due this long after the release starts. */
  intervalSeconds: number;
  /**
   * `continue` (the default): an inconclusive verdict is recorded and the release goes on. Early
   * in a release, and all through a small or quiet one, the new build has few sessions and most
   * checks cannot decide; pausing on each would stop every release for a person. A fail still
   * aborts. `pause`: an inconclusive verdict holds the release until `promote` (or `abort`).
   */
  onInconclusive: InconclusivePolicy;
}

/** Options every release takes, whatever its strategy (beside the strategy's own). */
export interface CommonRolloutSpec {
  /** Absent on releases stored before background analysis existed. */
  backgroundAnalysis?: BackgroundAnalysis | null;
}

export interface Window {
  since: number;
  until: number;
}

/** What the release keeps about its background analysis (in the store, with the rollout). */
export interface BackgroundState {
  /** When the next check is due (ms). */
  nextAt: number;
  /**
   * The check running now. Stored before it runs, so a control-plane restart runs the same
   * window again (the samples of a past window do not change) and a verdict for any other
   * window is known to be stale.
   */
  running: Window | null;
  /** Checks judged so far, to number them (`background #3`). */
  runs: number;
  /** Set while an inconclusive verdict holds the release for a person (`onInconclusive: pause`). */
  heldAt: number | null;
}
