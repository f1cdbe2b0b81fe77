import { describe, expect, it } from 'vitest';
import type { RolloutPhase } from '../rollout/model.js';
import type { StepRollouts } from './model.js';
import { planRelease } from './plan-release.js';
import { done, planOf, recordOf, running } from './testing.js';

const seen = (m: Record<string, Partial<StepRollouts>>): Record<string, StepRollouts> =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { rollout: null, rollback: null, ...v }]));
const phases = (d: { steps: { name: string; phase: string }[] }): Record<string, string> => Object.fromEntries(d.steps.map((s) => [s.name, s.phase]));

// infra → payments → world → raids, with payments and world both only after infra.
const game = planOf([['infra', []], ['payments', ['infra']], ['world', ['infra']], ['raids', ['world', 'payments']]]);

describe('planRelease', () => {
  it.each([
    ['starts only the steps with nothing before them', {}, {}, ['infra']],
    ['starts every step whose steps before it completed, in parallel', { infra: done('infra') }, {}, ['payments', 'world']],
    ['waits for all of a step\'s dependencies, not just one', { infra: done('infra'), world: done('world', 2), payments: running('payments') }, {}, []],
    ['starts a step once its last dependency completes', { infra: done('infra'), world: done('world', 2), payments: running('payments') }, { payments: { rollout: 'Completed' as RolloutPhase } }, ['raids']],
  ])('%s', (_name, steps, rollouts, started) => {
    const d = planRelease(game, recordOf(game, steps), seen(rollouts), 10);
    expect(d.actions.filter((a) => a.kind === 'start').map((a) => a.step)).toEqual(started);
    for (const s of started) expect(phases(d)[s]).toBe('Running');
  });

  it('completes the plan when its last step\'s rollout completes, recording the order', () => {
    const rec = recordOf(game, { infra: done('infra'), payments: done('payments', 2), world: done('world', 3), raids: running('raids') }, { completionOrder: ['infra', 'payments', 'world'] });
    const d = planRelease(game, rec, seen({ raids: { rollout: 'Completed' } }), 10);
    expect([d.phase, d.finishedAt, d.completionOrder]).toEqual(['Completed', 10, ['infra', 'payments', 'world', 'raids']]);
  });

  it('holds a step with an approval gate until someone approves, then starts it', () => {
    const gated = planOf([['a', []], ['b', ['a'], { approval: true }]]);
    const d = planRelease(gated, recordOf(gated, { a: done('a') }), {}, 10);
    expect([d.actions, phases(d)['b'], d.steps[1]?.gate?.state]).toEqual([[], 'Gated', 'waiting']);
    const approved = d.steps.map((s) => (s.name === 'b' ? { ...s, gate: { kind: 'approval' as const, state: 'passed' as const, detail: 'approved', at: 11 } } : s));
    const next = planRelease(gated, { ...recordOf(gated), steps: approved }, {}, 12);
    expect(next.actions).toEqual([{ kind: 'start', step: 'b' }]);
  });

  it('calls a webhook gate once, when the step\'s dependencies are done', () => {
    const gated = planOf([['a', []], ['b', ['a'], { webhook: { url: 'http://127.0.0.1:1/gate', timeoutSeconds: 1 } }]]);
    const d = planRelease(gated, recordOf(gated, { a: done('a') }), {}, 10);
    expect(d.actions).toEqual([{ kind: 'checkGate', step: 'b' }]);
    expect(planRelease(gated, { ...recordOf(gated), steps: d.steps }, {}, 11).actions).toEqual([]);
  });

  it.each([
    ['a failed webhook gate', { b: { phase: 'Gated' as const, gate: { kind: 'webhook' as const, state: 'failed' as const, detail: '→ 500', at: 5 } } }, {}, 'b'],
    ['a failed rollout', { b: running('b') }, { b: { rollout: 'Failed' as RolloutPhase } }, 'b'],
    ['an aborted rollout', { b: running('b') }, { b: { rollout: 'Aborted' as RolloutPhase } }, 'b'],
  ])('stops the plan at %s under the stop policy: aborts what runs, cancels what waits', (_n, steps, rollouts, failed) => {
    const p = planOf([['a', []], ['b', ['a']], ['c', []], ['d', ['b']]]);
    const d = planRelease(p, recordOf(p, { a: done('a'), c: running('c'), ...steps }), seen(rollouts), 10);
    expect(d.phase).toBe('Failed');
    expect(phases(d)).toEqual({ a: 'Completed', [failed]: 'Failed', c: 'Aborted', d: 'Cancelled' });
    expect(d.actions).toEqual([{ kind: 'abort', step: 'c', rolloutId: 'ro_c' }]);
  });

  it('rolls back completed steps one at a time, newest first, under the rollback policy', () => {
    const p = planOf([['a', []], ['b', ['a']], ['c', ['b']], ['d', ['c']]], 'rollback');
    const rec = recordOf(p, { a: done('a', 1), b: done('b', 2), c: done('c', 3), d: running('d') }, { completionOrder: ['a', 'b', 'c'] });
    const first = planRelease(p, rec, seen({ d: { rollout: 'Failed' } }), 10);
    expect(first.phase).toBe('RollingBack');
    expect(first.actions).toEqual([{ kind: 'rollback', step: 'c', fleet: 'c', toBuild: 'c-v1' }]);
    const waiting = planRelease(p, { ...rec, phase: first.phase, steps: first.steps }, seen({ c: { rollback: 'Provisioning' } }), 11);
    expect(waiting.actions).toEqual([]);
    const second = planRelease(p, { ...rec, phase: first.phase, steps: first.steps }, seen({ c: { rollback: 'Completed' } }), 12);
    expect(second.actions).toEqual([{ kind: 'rollback', step: 'b', fleet: 'b', toBuild: 'b-v1' }]);
  });

  it('ends rolled back once every completed step is undone, skipping steps that changed nothing', () => {
    const p = planOf([['a', []], ['b', ['a']]], 'rollback');
    const rec = recordOf(p, { a: { ...done('a'), fromBuild: null }, b: { ...done('b', 2), phase: 'RollingBack', rollbackRolloutId: 'ro_back' } }, { phase: 'RollingBack', completionOrder: ['a', 'b'], message: 'step x failed; rolling back' });
    const d = planRelease(p, rec, seen({ b: { rollback: 'Completed' } }), 10);
    expect([d.phase, phases(d), d.actions]).toEqual(['RolledBack', { a: 'RolledBack', b: 'RolledBack' }, []]);
    expect(d.message).toBe('step x failed; completed steps rolled back, newest first');
  });

  it('stops rolling back when a rollback fails', () => {
    const p = planOf([['a', []], ['b', ['a']]], 'rollback');
    const rec = recordOf(p, { a: done('a'), b: { ...done('b', 2), phase: 'RollingBack', rollbackRolloutId: 'ro_back' } }, { phase: 'RollingBack', completionOrder: ['a', 'b'] });
    const d = planRelease(p, rec, seen({ b: { rollback: 'Failed' } }), 10);
    expect([d.phase, phases(d), d.actions]).toEqual(['Failed', { a: 'Completed', b: 'RollbackFailed' }, []]);
  });

  it('aborts on request without rolling back, whatever the policy', () => {
    const p = planOf([['a', []], ['b', ['a']]], 'rollback');
    const d = planRelease(p, recordOf(p, { a: done('a'), b: running('b') }, { abortRequested: true }), {}, 10);
    expect([d.phase, phases(d), d.actions]).toEqual(['Aborted', { a: 'Completed', b: 'Aborted' }, [{ kind: 'abort', step: 'b', rolloutId: 'ro_b' }]]);
  });

  it('does nothing more once the plan has ended', () => {
    const p = planOf([['a', []]]);
    const d = planRelease(p, recordOf(p, {}, { phase: 'Failed', finishedAt: 3 }), {}, 10);
    expect([d.phase, d.actions, d.finishedAt]).toEqual(['Failed', [], 3]);
  });
});
