import { describe, expect, it } from 'vitest';
import type { MetricResult, Verdict } from '../analysis/judge/model.js';
import type { AnalysisSpec } from '../analysis/spec.js';
import { gateWithVerdicts, judgedSteps } from './analysis-gate.js';
import type { GateState, GateVerdict, StepState } from './model.js';
import { planRelease } from './plan-release.js';
import { done, planOf, recordOf } from './testing.js';

const analysis: AnalysisSpec = { windowSeconds: 60, metrics: [{ metric: 'crash_rate', max: 0.05, minSamples: 1 }], prometheus: [] };
const gate = { analysis };
// b's gate judges a's new build; c comes after nothing but b.
const plan = planOf([['a', []], ['b', ['a'], gate], ['c', ['b']]]);
const phaseOf = (d: { steps: StepState[] }, n: string) => d.steps.find((s) => s.name === n);

const metric = (verdict: Verdict, reason: string): MetricResult => ({ metric: 'crash_rate', verdict, canary: { n: 4, value: 0.5 }, baseline: { n: 4, value: 0 }, test: null, reason });
const judged = (verdict: Verdict, step = 'a'): GateVerdict => ({ step, fleet: step, canary: `${step}-v2`, baseline: `${step}-v1`, verdict, metrics: [metric(verdict, `crash_rate ${verdict}.`)] });
const checking: GateState = { kind: 'analysis', state: 'checking', detail: 'judging a for 60s', at: 10 };

describe('analysis gates', () => {
  it('begins checking when the steps before it complete, and asks for nothing until its window has passed', () => {
    const d = planRelease(plan, recordOf(plan, { a: done('a') }), {}, 10);
    expect([phaseOf(d, 'b')?.phase, phaseOf(d, 'b')?.gate]).toEqual(['Gated', checking]);
    expect(d.actions).toEqual([]);
    expect(planRelease(plan, { ...recordOf(plan), steps: d.steps }, {}, 10 + 59_999).actions).toEqual([]);
  });

  it('asks for the analysis of the new build against the previous one once the window has passed', () => {
    const rec = recordOf(plan, { a: done('a'), b: { phase: 'Gated', gate: checking } });
    const d = planRelease(plan, rec, {}, 60_010);
    expect(d.actions).toEqual([{ kind: 'analyzeGate', step: 'b', window: { since: 10, until: 60_010 }, judged: [{ step: 'a', fleet: 'a', canary: 'a-v2', baseline: 'a-v1' }] }]);
  });

  it.each([
    ['pass', 'passed'],
    ['fail', 'failed'],
    ['inconclusive', 'inconclusive'],
  ] as const)('a verdict of %s leaves the gate %s, with its numbers', (verdict, state) => {
    const g = gateWithVerdicts(checking, { since: 10, until: 60_010 }, [judged(verdict)], 60_020);
    expect([g.state, g.at, g.analysis?.verdict, g.analysis?.verdicts[0]?.metrics[0]?.canary]).toEqual([state, 60_020, verdict, { n: 4, value: 0.5 }]);
    expect(g.detail).toContain(`crash_rate ${verdict}.`);
  });

  it('fails the gate when any judged step fails, and is inconclusive when none fails but one is', () => {
    const w = { since: 10, until: 60_010 };
    expect(gateWithVerdicts(checking, w, [judged('pass', 'x'), judged('fail', 'y'), judged('inconclusive', 'z')], 1).state).toBe('failed');
    expect(gateWithVerdicts(checking, w, [judged('pass', 'x'), judged('inconclusive', 'z')], 1).state).toBe('inconclusive');
    expect(gateWithVerdicts(checking, w, [judged('pass', 'x'), judged('pass', 'y')], 1).state).toBe('passed');
  });

  it.each([
    ['a passed gate starts the step', 'passed', 'Running', [{ kind: 'start', step: 'b' }], 'Running'],
    ['a failed gate fails the step and stops the plan', 'failed', 'Failed', [], 'Failed'],
    ['an inconclusive gate waits for a person', 'inconclusive', 'Gated', [], 'Running'],
  ] as const)('%s', (_n, state, stepPhase, actions, planPhase) => {
    const rec = recordOf(plan, { a: done('a'), b: { phase: 'Gated', gate: gateWithVerdicts(checking, { since: 10, until: 60_010 }, [judged(state === 'passed' ? 'pass' : state === 'failed' ? 'fail' : 'inconclusive')], 60_020) } });
    const d = planRelease(plan, rec, {}, 60_030);
    expect([phaseOf(d, 'b')?.phase, d.actions, d.phase]).toEqual([stepPhase, actions, planPhase]);
    if (state === 'failed') expect(phaseOf(d, 'c')?.phase).toBe('Cancelled');
  });

  it('rolls the judged step back when the gate fails under the rollback policy', () => {
    const p = planOf([['a', []], ['b', ['a'], gate]], 'rollback');
    const failed = gateWithVerdicts(checking, { since: 10, until: 60_010 }, [judged('fail')], 60_020);
    const d = planRelease(p, recordOf(p, { a: done('a'), b: { phase: 'Gated', gate: failed } }, { completionOrder: ['a'] }), {}, 60_030);
    expect([d.phase, d.actions]).toEqual(['RollingBack', [{ kind: 'rollback', step: 'a', fleet: 'a', toBuild: 'a-v1' }]]);
  });

  it('passes at once, judging nothing, when the steps before it changed no build', () => {
    const d = planRelease(plan, recordOf(plan, { a: { ...done('a'), fromBuild: null } }), {}, 10);
    expect([phaseOf(d, 'b')?.phase, phaseOf(d, 'b')?.gate?.state, d.actions]).toEqual(['Running', 'passed', [{ kind: 'start', step: 'b' }]]);
  });

  it('judges only the steps before it that moved their fleet to a new build', () => {
    const p = planOf([['a', []], ['x', []], ['b', ['a', 'x'], gate]]);
    const states = new Map<string, StepState>(recordOf(p, { a: done('a'), x: { ...done('x'), fromBuild: null } }).steps.map((s) => [s.name, s]));
    expect(judgedSteps(p, p.steps[2]!, states).map((j) => j.step)).toEqual(['a']);
  });
});
