/**
 * The release planner: from a plan, where its run stands, and the phases of the rollouts its
 * steps started, decide the next move. Pure: no I/O, no clock (`now` is given).
 *
 * Two guarantees live here and are property-tested: a step never starts before every step it
 * comes `after` has completed, and a rollback undoes completed steps in the reverse of the order
 * they completed, one at a time (a step may depend on the one before it, so the newest goes first).
 */
import type { RolloutPhase } from '../rollout/model.js';
import { gateWindow, judgedSteps, type GateJudgement, type GateWindow } from './analysis-gate.js';
import type { ReleasePhase, ReleasePlanSpec, ReleaseRecord, StepRollouts, StepState } from './model.js';

export type ReleaseAction =
  /** Start the step's fleet rollout (the step is now `Running`). */
  | { kind: 'start'; step: string }
  /** Call the step's webhook gate; its answer is recorded in the step's gate. */
  | { kind: 'checkGate'; step: string }
  /** The window of the step's analysis gate has passed: judge these builds over it; the verdicts are recorded in the step's gate. */
  | { kind: 'analyzeGate'; step: string; window: GateWindow; judged: GateJudgement[] }
  /** Abort the step's rollout: new sessions go back to the old build, the new build's sessions finish. */
  | { kind: 'abort'; step: string; rolloutId: string }
  /** Release the step's fleet back to `toBuild` (the step is now `RollingBack`). */
  | { kind: 'rollback'; step: string; fleet: string; toBuild: string };

export interface ReleaseDecision {
  phase: ReleasePhase;
  message: string;
  steps: StepState[];
  completionOrder: string[];
  finishedAt: number | null;
  actions: ReleaseAction[];
}

const GONE: readonly RolloutPhase[] = ['Aborted', 'Failed', 'Superseded'];

export function planRelease(plan: ReleasePlanSpec, state: ReleaseRecord, rollouts: Readonly<Record<string, StepRollouts>>, now: number): ReleaseDecision {
  const steps = state.steps.map((s) => ({ ...s }));
  const byName = new Map(steps.map((s) => [s.name, s]));
  const completionOrder = [...state.completionOrder];
  const actions: ReleaseAction[] = [];
  let phase = state.phase;
  let message = state.message;
  let finishedAt = state.finishedAt;

  // 1. What the rollouts did since the last pass.
  for (const s of steps) {
    const seen = rollouts[s.name] ?? { rollout: null, rollback: null };
    if (s.phase === 'Running' && seen.rollout === 'Completed') {
      Object.assign(s, { phase: 'Completed', completedAt: now, message: `rollout ${s.rolloutId ?? ''} completed` });
      completionOrder.push(s.name);
    } else if (s.phase === 'Running' && seen.rollout && GONE.includes(seen.rollout)) {
      Object.assign(s, { phase: 'Failed', message: `rollout ${s.rolloutId ?? ''} ended ${seen.rollout}` });
    } else if (s.phase === 'RollingBack' && seen.rollback === 'Completed') {
      Object.assign(s, { phase: 'RolledBack', message: `back on ${s.fromBuild ?? ''} (rollout ${s.rollbackRolloutId ?? ''})` });
    } else if (s.phase === 'RollingBack' && seen.rollback && GONE.includes(seen.rollback)) {
      Object.assign(s, { phase: 'RollbackFailed', message: `rollback rollout ${s.rollbackRolloutId ?? ''} ended ${seen.rollback}` });
    } else if (s.phase === 'Gated' && s.gate?.state === 'failed') {
      Object.assign(s, { phase: 'Failed', message: `gate failed: ${s.gate.detail}` });
    }
  }

  // 2. A failure or an operator's abort halts the plan: running steps are aborted, the rest never start.
  if (phase === 'Running') {
    const failed = steps.find((s) => s.phase === 'Failed');
    if (state.abortRequested || failed) {
      for (const s of steps) {
        if (s.phase === 'Running') {
          if (s.rolloutId) actions.push({ kind: 'abort', step: s.name, rolloutId: s.rolloutId });
          Object.assign(s, { phase: 'Aborted', message: 'the plan stopped while this step ran; its rollout was aborted' });
        } else if (s.phase === 'Pending' || s.phase === 'Gated') {
          Object.assign(s, { phase: 'Cancelled', message: 'the plan stopped before this step started' });
        }
      }
      const why = state.abortRequested ? 'aborted by operator' : `step ${failed?.name ?? ''} failed: ${failed?.message ?? ''}`;
      if (state.abortRequested) [phase, message, finishedAt] = ['Aborted', why, now];
      else if (plan.failurePolicy === 'rollback') [phase, message] = ['RollingBack', `${why}; rolling back completed steps, newest first`];
      else [phase, message, finishedAt] = ['Failed', `${why}; plan stopped`, now];
    } else {
      advance(plan, steps, byName, actions, now);
      if (steps.every((s) => s.phase === 'Completed')) [phase, message, finishedAt] = ['Completed', 'every step completed', now];
      else message = runningMessage(steps);
    }
  }

  // 3. Rolling back: one step at a time, the most recently completed first.
  if (phase === 'RollingBack' && state.abortRequested) {
    // The rollback under way runs to its end (it is a release of its own); nothing more is undone.
    [phase, message, finishedAt] = ['Aborted', `${message.split('; rolling back')[0] ?? message}; rollback stopped by operator`, now];
  }
  if (phase === 'RollingBack') {
    const broken = steps.find((s) => s.phase === 'RollbackFailed');
    if (broken) [phase, message, finishedAt] = ['Failed', `rollback of step ${broken.name} failed (${broken.message}); rollback stopped`, now];
    else if (!steps.some((s) => s.phase === 'RollingBack')) {
      const queue = [...completionOrder].reverse().map((n) => byName.get(n)).filter((s): s is StepState => s?.phase === 'Completed');
      let started = false;
      for (const next of queue) {
        const spec = plan.steps.find((p) => p.name === next.name);
        if (next.fromBuild === null || !spec) {
          Object.assign(next, { phase: 'RolledBack', message: 'nothing to undo: the fleet already ran this build' });
          continue;
        }
        actions.push({ kind: 'rollback', step: next.name, fleet: spec.fleet, toBuild: next.fromBuild });
        Object.assign(next, { phase: 'RollingBack', message: `releasing ${spec.fleet} back to ${next.fromBuild}` });
        started = true;
        break;
      }
      if (!started) [phase, message, finishedAt] = ['RolledBack', `${message.split('; rolling back')[0] ?? message}; completed steps rolled back, newest first`, now];
    }
  }
  return { phase, message, steps, completionOrder, finishedAt, actions };
}

/** Starts (or gates) every pending step whose `after` steps have all completed. */
function advance(plan: ReleasePlanSpec, steps: StepState[], byName: ReadonlyMap<string, StepState>, actions: ReleaseAction[], now: number): void {
  for (const spec of plan.steps) {
    const s = byName.get(spec.name);
    if (!s) continue;
    const ready = spec.after.every((d) => byName.get(d)?.phase === 'Completed');
    if (s.phase === 'Pending' && ready) {
      if (spec.gate === null) {
        start(s, actions, now);
      } else if ('analysis' in spec.gate) {
        const judged = judgedSteps(plan, spec, byName);
        if (judged.length === 0) {
          // Nothing it comes after moved to a new build: there is nothing to judge.
          s.gate = { kind: 'analysis', state: 'passed', detail: 'nothing to judge: the steps before it changed no build', at: now };
          start(s, actions, now);
        } else {
          const detail = `judging ${judged.map((j) => j.step).join(', ')} for ${spec.gate.analysis.windowSeconds}s`;
          Object.assign(s, { phase: 'Gated', gate: { kind: 'analysis', state: 'checking', detail, at: now }, message: 'waiting for the analysis gate' });
        }
      } else if ('approval' in spec.gate) {
        Object.assign(s, { phase: 'Gated', gate: { kind: 'approval', state: 'waiting', detail: 'waiting for approval', at: now }, message: 'waiting for approval' });
      } else {
        Object.assign(s, { phase: 'Gated', gate: { kind: 'webhook', state: 'checking', detail: 'calling the webhook', at: now }, message: 'waiting for the webhook gate' });
        actions.push({ kind: 'checkGate', step: s.name });
      }
    } else if (s.phase === 'Gated' && s.gate?.state === 'passed') {
      start(s, actions, now);
    } else if (s.phase === 'Gated' && s.gate?.kind === 'analysis' && s.gate.state === 'checking' && spec.gate && 'analysis' in spec.gate) {
      // Asked again on every pass until the verdicts arrive (the service runs one analysis at a time per gate), so a restart resumes it.
      const window = gateWindow(s.gate, spec.gate.analysis);
      if (now >= window.until) actions.push({ kind: 'analyzeGate', step: s.name, window, judged: judgedSteps(plan, spec, byName) });
    }
  }
}

function start(s: StepState, actions: ReleaseAction[], now: number): void {
  Object.assign(s, { phase: 'Running', startedAt: now, message: 'starting its rollout' });
  actions.push({ kind: 'start', step: s.name });
}

function runningMessage(steps: readonly StepState[]): string {
  const by = (p: StepState['phase']): string[] => steps.filter((s) => s.phase === p).map((s) => s.name);
  const parts = [['running', by('Running')], ['waiting at a gate', by('Gated')], ['done', by('Completed')]] as const;
  return parts.filter(([, n]) => n.length > 0).map(([label, n]) => `${label}: ${n.join(', ')}`).join('; ') || 'starting';
}
