import { describe, expect, it } from 'vitest';
import { AnalysisSpecSchema, validateAnalysis } from '../../analysis/spec.js';
import { FAULTY_ANALYSIS, faultyCanaryScenario, lostToFaults, rolledBack, verdictText } from './faulty-canary.js';

const verdict = {
  step: 'step 2/3', verdict: 'fail',
  result: { metrics: [
    { metric: 'crash_rate', verdict: 'fail', canary: { n: 5, value: 0.6 }, baseline: { n: 4, value: 0 }, test: null },
    { metric: 'custom.tick_ms', verdict: 'fail', canary: { n: 60, value: 30.12345 }, baseline: { n: 90, value: 0.1 }, test: { name: 'mann-whitney-u', pValue: 0.0000123 } },
  ] },
};

describe('the faulty-canary scenario', () => {
  it('asks for an analysis the control plane accepts', () => {
    const req = faultyCanaryScenario().request({ fleet: 'arena', fromBuild: 'arena-v1', toBuild: 'arena-v2', playerIds: [], now: 0 });
    expect(req['steps']).toEqual([{ setWeight: 30 }, { analysis: { metrics: FAULTY_ANALYSIS } }, { setWeight: 100 }]);
    expect(() => validateAnalysis(AnalysisSpecSchema.parse(FAULTY_ANALYSIS))).not.toThrow();
  });

  it.each([
    ['Failed with a failing verdict', { phase: 'Failed', analyses: [verdict] }, true],
    ['Completed', { phase: 'Completed', analyses: [{ ...verdict, verdict: 'pass' }] }, false],
    ['Failed without any verdict (a crash-looping start)', { phase: 'Failed', analyses: [] }, false],
    ['Paused on an inconclusive verdict', { phase: 'Paused', analyses: [{ ...verdict, verdict: 'inconclusive' }] }, false],
  ])('counts a release %s as rolled back: %s', (_what, rollout, ok) => {
    expect(rolledBack(rollout).ok).toBe(ok);
  });

  it('prints the verdict with its numbers per metric', () => {
    expect(verdictText(verdict)).toBe('FAIL at step 2/3 — crash_rate fail: canary 0.6 (n 5), baseline 0 (n 4); custom.tick_ms fail: canary 30.1 (n 60), baseline 0.1 (n 90), mann-whitney-u p 0.0000123');
  });

  it('counts the faulty build\'s own losses apart from the baseline\'s', () => {
    const s = (build: string, closeReason: string | null) => ({ playerId: 'p', build, openedAt: 0, closedAt: closeReason ? 1 : null, closeReason });
    expect(lostToFaults([s('v2', 'server_crashed'), s('v2', 'error'), s('v2', 'error'), s('v2', 'ended'), s('v1', 'server_crashed'), s('v2', null)], 'v2')).toEqual({ crashed: 1, endedInError: 2 });
  });
});
