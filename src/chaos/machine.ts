/**
 * The experiment as a state machine: baseline → inject → observe → restore → after → done. Pure:
 * each input (a clock tick with what was recorded so far, or the answer of an injection or a
 * restoration) gives the next state and the actions the runner must carry out. The guarantee
 * lives here and is table-tested with a fake clock: the moment the hypothesis breaks while the
 * fault is on, the next action is `restore` — nothing waits for the planned duration.
 */
import { judgeNow, judgeSpan } from './judge.js';
import type { AllocationSample, Breach, Experiment, Interruption, Phase, Verdict } from './model.js';

/** When each phase began; the report measures the spans between them. */
export interface Marks {
  startedAt: number;
  injectedAt: number | null;
  restoreAt: number | null;
  restoredAt: number | null;
  endedAt: number | null;
}

export interface MachineState {
  phase: Phase;
  marks: Marks;
  /** The verdict so far, decided when the fault is lifted (null before). */
  outcome: Verdict | null;
  /** Whether the fault was undone; null when none was injected (nothing to undo). */
  restored: boolean | null;
  restoreError: string | null;
}

export type MachineInput =
  | { kind: 'tick'; now: number; samples: readonly AllocationSample[]; interruptions: readonly Interruption[] }
  | { kind: 'injected'; now: number }
  | { kind: 'inject-failed'; now: number; reason: string }
  | { kind: 'restored'; now: number }
  | { kind: 'restore-failed'; now: number; reason: string }
  /** The operator stopped the run (SIGINT): lift the fault at once. */
  | { kind: 'interrupt'; now: number };

/** `record` becomes an entry in the control plane's event log (`chaos.<event>`). */
export type MachineAction = { kind: 'inject' } | { kind: 'restore' } | { kind: 'record'; event: string; message: string; data: Record<string, unknown> };

export interface Step {
  state: MachineState;
  actions: MachineAction[];
}

export function startMachine(now: number): MachineState {
  return { phase: 'baseline', marks: { startedAt: now, injectedAt: null, restoreAt: null, restoredAt: null, endedAt: null }, outcome: null, restored: null, restoreError: null };
}

const describe = (breaches: readonly Breach[]): string => breaches.map((b) => `${b.check} ${b.observed} (limit ${b.limit})`).join(', ');

/** Lifts the fault: the outcome is settled now, the after-phase starts once restoration answers. */
function beginRestore(s: MachineState, now: number, outcome: Verdict, extra: MachineAction[] = []): Step {
  return { state: { ...s, phase: 'restore', outcome, marks: { ...s.marks, restoreAt: now } }, actions: [...extra, { kind: 'restore' }] };
}

function finish(s: MachineState, now: number, outcome: Verdict): Step {
  const state: MachineState = { ...s, phase: 'done', outcome, marks: { ...s.marks, endedAt: now } };
  const summary = outcome.verdict === 'held' ? 'the hypothesis held'
    : outcome.verdict === 'broken' ? `the hypothesis broke (${outcome.phase}): ${describe(outcome.breaches)}`
      : `aborted: ${outcome.reason}`;
  return { state, actions: [{ kind: 'record', event: 'finished', message: summary, data: { verdict: outcome.verdict, restored: state.restored } }] };
}

/** The next state and actions. Inputs that do not apply to the current phase change nothing. */
export function step(exp: Experiment, s: MachineState, input: MachineInput): Step {
  const none: Step = { state: s, actions: [] };
  const now = input.now;
  if (input.kind === 'interrupt') {
    if (s.phase === 'baseline') return finish(s, now, { verdict: 'aborted', reason: 'interrupted before injection', breaches: [] });
    if (s.phase === 'inject' || s.phase === 'observe') return beginRestore(s, now, { verdict: 'aborted', reason: 'interrupted by the operator', breaches: [] });
    if (s.phase === 'after') return finish(s, now, s.outcome ?? { verdict: 'aborted', reason: 'interrupted', breaches: [] });
    return none; // restoring: a restoration is never cut short.
  }
  switch (s.phase) {
    case 'baseline': {
      if (input.kind !== 'tick' || now < s.marks.startedAt + exp.baselineMs) return none;
      const base = judgeSpan(exp.hypothesis, input.samples, input.interruptions, s.marks.startedAt, now);
      if (!base.holds) {
        // Injecting into a system already outside its steady state proves nothing and risks more.
        return finish(s, now, { verdict: 'aborted', reason: `the steady state did not hold before injection: ${describe(base.breaches)}`, breaches: base.breaches });
      }
      return { state: { ...s, phase: 'inject' }, actions: [{ kind: 'inject' }] };
    }
    case 'inject':
      if (input.kind === 'injected') {
        return { state: { ...s, phase: 'observe', marks: { ...s.marks, injectedAt: now } }, actions: [{ kind: 'record', event: 'injected', message: `fault ${exp.fault.type} injected`, data: {} }] };
      }
      if (input.kind === 'inject-failed') {
        // Part of the fault may be in place: restore all the same.
        return beginRestore({ ...s, marks: { ...s.marks, injectedAt: now } }, now, { verdict: 'aborted', reason: `injection failed: ${input.reason}`, breaches: [] });
      }
      return none;
    case 'observe': {
      if (input.kind !== 'tick') return none;
      const injectedAt = s.marks.injectedAt ?? now;
      const j = judgeNow(exp.hypothesis, input.samples, input.interruptions, injectedAt, now);
      if (!j.holds) {
        return beginRestore(s, now, { verdict: 'broken', phase: 'observe', breaches: j.breaches }, [
          { kind: 'record', event: 'aborted', message: `hypothesis broken, aborting: ${describe(j.breaches)}`, data: { breaches: j.breaches } },
        ]);
      }
      if (now >= injectedAt + exp.durationMs) return beginRestore(s, now, { verdict: 'held' });
      return none;
    }
    case 'restore':
      if (input.kind === 'restored' || input.kind === 'restore-failed') {
        const failed = input.kind === 'restore-failed' ? input.reason : null;
        return {
          state: { ...s, phase: 'after', restored: failed === null, restoreError: failed, marks: { ...s.marks, restoredAt: now } },
          actions: [{ kind: 'record', event: 'restored', message: failed === null ? 'fault lifted' : `restoration failed: ${failed}`, data: { restored: failed === null } }],
        };
      }
      return none;
    case 'after': {
      const restoredAt = s.marks.restoredAt ?? now;
      if (input.kind !== 'tick' || now < restoredAt + exp.afterMs) return none;
      const outcome = s.outcome ?? { verdict: 'held' as const };
      if (outcome.verdict !== 'held') return finish(s, now, outcome);
      // A fault that held while on but left the system broken once lifted is still a finding.
      const after = judgeSpan(exp.hypothesis, input.samples, input.interruptions, restoredAt, now);
      return finish(s, now, after.holds ? outcome : { verdict: 'broken', phase: 'after', breaches: after.breaches });
    }
    case 'done':
      return none;
  }
}
