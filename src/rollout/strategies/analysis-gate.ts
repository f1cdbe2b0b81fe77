/**
 * The metrics-analysis gate every strategy's planner shares: the check a planner asks the
 * service to run (the new build against the one it replaces, over one window), the check
 * outcome it records while it waits, and what a verdict means. The service runs any such check
 * the same way (`analysis-run.ts`) and stores its verdict; the planner only decides where in its
 * release a gate stands and reads `smoke.state` once the verdict is in: `passed` → go on,
 * `failed` → fail the release with the routing restored, `inconclusive` → Paused for a person.
 */
import type { AnalysisSpec } from '../../analysis/spec.js';
import type { SmokeResult } from '../checks.js';
import type { Rollout } from '../model.js';
import type { MetricsCheck } from '../strategy.js';

/** What an operator reads on a release paused by an inconclusive verdict. */
export const INCONCLUSIVE_NEXT = 'Promote to continue, abort to roll back.';

/** The release's new build against the build it replaces, over `windowSeconds` from `since`. */
export function metricsCheck(r: Pick<Rollout, 'fromBuild' | 'toBuild'>, analysis: AnalysisSpec, label: string, since: number, payload: Record<string, unknown>): MetricsCheck {
  return {
    serverId: '', analysis, window: { since, until: since + analysis.windowSeconds * 1000 },
    canary: r.toBuild, baseline: r.fromBuild, label, payload,
  };
}

/**
 * The check outcome a planner records when it starts a gate: running, on no one server, since
 * `now` (the window's start, which tells the service a verdict for this gate from a stale one).
 */
export function gateRunning(now: number): SmokeResult {
  return { state: 'running', serverId: '', startedAt: now, finishedAt: null, detail: '' };
}
