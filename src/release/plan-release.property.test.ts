import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RolloutPhase } from '../rollout/model.js';
import type { ReleaseGate, ReleaseRecord, StepRollouts } from './model.js';
import { planRelease } from './plan-release.js';
import { planOf, recordOf } from './testing.js';

/** A random acyclic plan: each step may come after any of the steps listed before it. */
const plans = fc.integer({ min: 1, max: 7 }).chain((n) =>
  fc.tuple(
    fc.tuple(...Array.from({ length: n }, (_, i) => fc.tuple(fc.subarray(Array.from({ length: i }, (_, j) => `s${j}`)), fc.boolean()))),
    fc.constantFrom('stop' as const, 'rollback' as const),
  ).map(([rows, policy]) => planOf(rows.map(([after, gated], i) => [`s${i}`, after, gated ? ({ approval: true } as ReleaseGate) : undefined] as const), policy)),
);

/** What the world does on each pass: per step, how its rollouts end; whether someone approves; rarely (50: fast-check favours small numbers), an abort. */
const outcome = fc.constantFrom<RolloutPhase>('Progressing', 'Progressing', 'Completed', 'Completed', 'Failed');
const worlds = fc.array(fc.record({ outcomes: fc.array(outcome, { minLength: 7, maxLength: 7 }), approve: fc.boolean(), abort: fc.integer({ min: 1, max: 50 }) }), { minLength: 60, maxLength: 60 });

describe('planRelease over random plans and outcomes', () => {
  it('never starts a step before all its dependencies completed, and rolls back in reverse completion order', () => {
    fc.assert(fc.property(plans, worlds, (plan, world) => {
      let rec: ReleaseRecord = recordOf(plan);
      const rolledBack: string[] = [];
      for (let pass = 0; pass < world.length; pass++) {
        const w = world[pass] ?? { outcomes: [], approve: false, abort: 1 };
        const rollouts: Record<string, StepRollouts> = {};
        rec.steps.forEach((s, i) => {
          const o = w.outcomes[i] ?? 'Progressing';
          rollouts[s.name] = { rollout: s.phase === 'Running' ? o : null, rollback: s.phase === 'RollingBack' ? (o === 'Failed' ? 'Progressing' : o) : null };
        });
        const d = planRelease(plan, { ...rec, abortRequested: rec.abortRequested || w.abort === 50 }, rollouts, pass);
        const after = new Map(d.steps.map((s) => [s.name, s.phase]));
        for (const a of d.actions) {
          if (a.kind === 'start') {
            for (const dep of plan.steps.find((s) => s.name === a.step)?.after ?? []) expect(after.get(dep)).toBe('Completed');
            expect(rec.phase).toBe('Running');
          }
          if (a.kind === 'rollback') rolledBack.push(a.step);
        }
        rec = {
          ...rec, phase: d.phase, message: d.message, completionOrder: d.completionOrder, finishedAt: d.finishedAt,
          abortRequested: rec.abortRequested || w.abort === 50,
          steps: d.steps.map((s) => {
            const started = d.actions.some((a) => a.kind === 'start' && a.step === s.name);
            const back = d.actions.some((a) => a.kind === 'rollback' && a.step === s.name);
            const approved = s.phase === 'Gated' && s.gate?.state === 'waiting' && w.approve;
            return {
              ...s,
              ...(started ? { rolloutId: `ro_${s.name}`, fromBuild: `${s.name}-v1` } : {}),
              ...(back ? { rollbackRolloutId: `rb_${s.name}` } : {}),
              ...(approved && s.gate ? { gate: { ...s.gate, state: 'passed' as const } } : {}),
            };
          }),
        };
      }
      // Every rollback so far is the newest completed steps, newest first.
      expect(rolledBack).toEqual([...rec.completionOrder].reverse().slice(0, rolledBack.length));
      if (rec.phase === 'RolledBack') expect(rolledBack).toEqual([...rec.completionOrder].reverse());
      if (rec.phase === 'Completed') expect(rec.completionOrder.length).toBe(plan.steps.length);
    }), { numRuns: 300 });
  });
});
