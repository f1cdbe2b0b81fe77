/**
 * The pieces of a background check the rollout service needs around the pure decisions of
 * `background.ts`: the check to run (the release's new build against the one it replaces, over
 * one window) and the rollout with a verdict stored. Decides nothing about the release itself.
 */
import type { AnalysisResult } from '../analysis/judge/model.js';
import { event } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import { verdictEvent } from './analysis-run.js';
import type { BackgroundAnalysis, BackgroundOutcome, Window } from './background.js';
import type { AnalysisRecord, Rollout } from './model.js';
import type { MetricsCheck } from './strategy.js';

/** The metrics check of one background window; its webhook (if any) hears `kind: background`. */
export function backgroundCheck(r: Rollout, spec: BackgroundAnalysis, window: Window): MetricsCheck {
  const payload = { rollout: r.id, fleet: r.fleet, strategy: r.spec.strategy, fromBuild: r.fromBuild, toBuild: r.toBuild, kind: 'background', phase: r.phase };
  return { serverId: '', analysis: spec, window, canary: r.toBuild, baseline: r.fromBuild, label: 'background', payload };
}

/**
 * The rollout with the verdict stored in `analyses` (kind `background`) and its schedule moved
 * on, and the events to append: the verdict, and `rollout.paused` when it holds the release.
 */
export function withBackgroundVerdict(
  r: Rollout,
  outcome: Exclude<BackgroundOutcome, { kind: 'stale' }>,
  check: MetricsCheck,
  result: AnalysisResult,
  now: number,
): { rollout: Rollout; events: Mutation[] } {
  const record: AnalysisRecord = {
    step: outcome.label, kind: 'background', verdict: result.verdict, result, window: check.window, canary: check.canary, baseline: check.baseline, at: now,
  };
  const held = outcome.kind === 'hold';
  const rollout: Rollout = {
    ...r, background: outcome.state, analyses: [...(r.analyses ?? []), record], updatedAt: now, ...(held ? { message: outcome.message } : {}),
  };
  const events = [verdictEvent(r, record, now)];
  // The phase does not change under a hold (see docs/analysis.md), so the pause is announced here.
  if (held) events.push(event(now, r.fleet, 'rollout.paused', r.id, outcome.message, { kind: 'background', step: outcome.label }));
  return { rollout, events };
}
