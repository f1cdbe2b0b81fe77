/**
 * Analysis gates, pure: which steps a gate judges, when its window ends, and what a set of
 * verdicts makes of the gate. The release service runs the analysis (I/O) in between.
 *
 * A gate sits before its step, so "the gate after step S" is the gate of a step that comes
 * `after` S: it judges S's new build (the canary) against the build S's fleet ran before (the
 * baseline), over a window that starts when the gate begins checking.
 */
import { overallVerdict } from '../analysis/judge/judge.js';
import type { AnalysisSpec } from '../analysis/spec.js';
import type { GateState, GateVerdict, ReleasePlanSpec, ReleaseStepSpec, StepState } from './model.js';

export interface GateJudgement {
  step: string;
  fleet: string;
  canary: string;
  baseline: string;
}

export interface GateWindow {
  since: number;
  until: number;
}

/** The steps an analysis gate on `step` judges: those it comes after that moved their fleet to a new build. */
export function judgedSteps(plan: ReleasePlanSpec, step: ReleaseStepSpec, states: ReadonlyMap<string, StepState>): GateJudgement[] {
  const out: GateJudgement[] = [];
  for (const name of step.after) {
    const spec = plan.steps.find((p) => p.name === name);
    const from = states.get(name)?.fromBuild ?? null;
    // A step whose fleet already ran its build changed nothing: there is no new build to judge.
    if (spec && from !== null && from !== spec.build) out.push({ step: name, fleet: spec.fleet, canary: spec.build, baseline: from });
  }
  return out;
}

/** The window of an analysis gate that is checking: from when it began, `windowSeconds` long. */
export function gateWindow(gate: GateState, analysis: Pick<AnalysisSpec, 'windowSeconds'>): GateWindow {
  return { since: gate.at, until: gate.at + analysis.windowSeconds * 1000 };
}

/** The gate once judged: pass passes it, fail fails it, inconclusive waits for a person. */
export function gateWithVerdicts(gate: GateState, window: GateWindow, verdicts: readonly GateVerdict[], now: number): GateState {
  const verdict = overallVerdict(verdicts);
  const state = verdict === 'pass' ? 'passed' : verdict === 'fail' ? 'failed' : 'inconclusive';
  const deciding = verdicts.filter((v) => v.verdict === verdict);
  const why = deciding
    .map((v) => `${v.step} (${v.canary} vs ${v.baseline}): ${v.metrics.filter((m) => m.verdict === verdict).map((m) => m.reason).join(' ') || v.verdict}`)
    .join('; ');
  const detail = `analysis ${verdict}${why ? `: ${why}` : ''}${state === 'inconclusive' ? ' — waiting for a person: release approve passes it, release abort stops' : ''}`;
  return { ...gate, state, detail, at: now, analysis: { window, verdict, verdicts: [...verdicts] } };
}
