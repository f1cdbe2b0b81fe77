import { describe, expect, it } from 'vitest';
import { startMachine, step, type MachineAction, type MachineInput, type MachineState } from './machine.js';
import type { AllocationSample, Experiment, Interruption } from './model.js';

const exp: Experiment = {
  name: 'x', description: '',
  hypothesis: { minAllocationSuccess: 0.9, maxSessionsInterrupted: 0, maxP99LatencyMs: 100, windowMs: 1000, minSamples: 5 },
  load: { fleet: 'arena', ratePerS: 10, timeoutMs: 1000 },
  fault: { type: 'hang-servers', radius: { fleet: 'arena', count: 1 } },
  warmupMs: 0, baselineMs: 2000, durationMs: 5000, afterMs: 2000,
};

/** A fake world: every 100 ms one allocation arrives, ok unless `failing(at)`. */
function samplesUntil(now: number, failing: (at: number) => boolean = () => false): AllocationSample[] {
  const out: AllocationSample[] = [];
  for (let at = 100; at <= now; at += 100) out.push(failing(at) ? { at, ok: false, latencyMs: null, code: 'NO_CAPACITY' } : { at, ok: true, latencyMs: 5, code: null });
  return out;
}

const tick = (now: number, failing?: (at: number) => boolean, interruptions: Interruption[] = []): MachineInput => ({ kind: 'tick', now, samples: samplesUntil(now, failing), interruptions });

/** Runs inputs in order; collects every action, and answers inject/restore the way `answer` says. */
function run(inputs: MachineInput[]): { state: MachineState; actions: MachineAction[] } {
  let state = startMachine(0);
  const actions: MachineAction[] = [];
  for (const input of inputs) {
    const s = step(exp, state, input);
    state = s.state;
    actions.push(...s.actions);
  }
  return { state, actions };
}
const kinds = (actions: MachineAction[]) => actions.map((a) => (a.kind === 'record' ? `record:${a.event}` : a.kind));

describe('the experiment state machine', () => {
  it('measures the baseline for its whole duration before injecting anything', () => {
    const r = run([tick(1000), tick(1900)]);
    expect(r.state.phase).toBe('baseline');
    expect(r.actions).toEqual([]);
    expect(kinds(run([tick(2000)]).actions)).toEqual(['inject']);
  });

  it('runs the fault for its duration when the hypothesis holds, restores, measures the after-phase and reports held', () => {
    const r = run([tick(2000), { kind: 'injected', now: 2100 }, tick(4000), tick(7100), { kind: 'restored', now: 7200 }, tick(8000), tick(9200)]);
    expect(kinds(r.actions)).toEqual(['inject', 'record:injected', 'restore', 'record:restored', 'record:finished']);
    expect(r.state).toMatchObject({ phase: 'done', outcome: { verdict: 'held' }, restored: true, marks: { startedAt: 0, injectedAt: 2100, restoreAt: 7100, restoredAt: 7200, endedAt: 9200 } });
  });

  it('aborts and restores at the first tick where the hypothesis is broken, long before the planned duration', () => {
    const failing = (at: number) => at > 2500;
    const r = run([tick(2000), { kind: 'injected', now: 2100 }, tick(2600, failing), tick(3000, failing)]);
    expect(kinds(r.actions)).toEqual(['inject', 'record:injected', 'record:aborted', 'restore']);
    expect(r.state.phase).toBe('restore');
    expect(r.state.marks.restoreAt).toBe(2600); // the first window with a failure too many: 2200..2600, one of five failed
    expect(r.state.outcome).toMatchObject({ verdict: 'broken', phase: 'observe', breaches: [{ check: 'allocationSuccess' }] });
  });

  it('keeps the broken verdict after restoration even when the system recovers', () => {
    const failing = (at: number) => at > 2500 && at < 3100;
    const r = run([tick(2000), { kind: 'injected', now: 2100 }, tick(3000, failing), { kind: 'restored', now: 3100 }, tick(5200, failing)]);
    expect(r.state).toMatchObject({ phase: 'done', outcome: { verdict: 'broken', phase: 'observe' }, restored: true });
  });

  it('breaks on one interrupted session when the hypothesis allows none', () => {
    const r = run([tick(2000), { kind: 'injected', now: 2100 }, tick(2300, undefined, [{ at: 2250, session: 's1', reason: 'server_crashed' }])]);
    expect(r.state.outcome).toMatchObject({ verdict: 'broken', breaches: [{ check: 'sessionsInterrupted', observed: 1, limit: 0 }] });
  });

  it('never injects into a system whose baseline does not hold, and says why', () => {
    const r = run([tick(2000, (at) => at % 200 === 0)]);
    expect(kinds(r.actions)).toEqual(['record:finished']);
    expect(r.state).toMatchObject({ phase: 'done', restored: null, outcome: { verdict: 'aborted', breaches: [{ check: 'allocationSuccess' }] } });
  });

  it('restores after a failed injection, since part of the fault may be in place, and reports aborted', () => {
    const r = run([tick(2000), { kind: 'inject-failed', now: 2050, reason: 'EPERM' }, { kind: 'restored', now: 2100 }, tick(4100)]);
    expect(kinds(r.actions)).toEqual(['inject', 'restore', 'record:restored', 'record:finished']);
    expect(r.state.outcome).toEqual({ verdict: 'aborted', reason: 'injection failed: EPERM', breaches: [] });
  });

  it('finds a fault that held while on but left the system broken after restoration', () => {
    const failing = (at: number) => at > 7200;
    const r = run([tick(2000), { kind: 'injected', now: 2100 }, tick(7100), { kind: 'restored', now: 7200 }, tick(9200, failing)]);
    expect(r.state.outcome).toMatchObject({ verdict: 'broken', phase: 'after' });
  });

  it('reports a failed restoration and still finishes', () => {
    const r = run([tick(2000), { kind: 'injected', now: 2100 }, tick(7100), { kind: 'restore-failed', now: 7200, reason: 'ESRCH' }, tick(9200)]);
    expect(r.state).toMatchObject({ phase: 'done', restored: false, restoreError: 'ESRCH' });
  });

  it.each([
    ['baseline', [] as MachineInput[], 'done', []],
    ['observe', [tick(2000), { kind: 'injected', now: 2100 }] as MachineInput[], 'restore', ['restore']],
  ])('lifts the fault at once when the operator interrupts during %s', (_phase, before, phase, actions) => {
    let state = run(before).state;
    const s = step(exp, state, { kind: 'interrupt', now: 3000 });
    state = s.state;
    expect(state.phase).toBe(phase);
    expect(kinds(s.actions).filter((k) => !k.startsWith('record'))).toEqual(actions);
  });

  it('ignores answers that do not belong to the current phase', () => {
    const s = startMachine(0);
    expect(step(exp, s, { kind: 'restored', now: 10 })).toEqual({ state: s, actions: [] });
    expect(step(exp, s, { kind: 'injected', now: 10 })).toEqual({ state: s, actions: [] });
  });
});
