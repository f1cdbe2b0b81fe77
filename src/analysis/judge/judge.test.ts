import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judge, judgeMetric, overallVerdict } from './judge.js';
import type { MetricCriterion, MetricSamples, Verdict } from './model.js';

const rate = (ce: number, ct: number, be: number, bt: number): MetricSamples => ({ kind: 'rate', canary: { events: ce, trials: ct }, baseline: { events: be, trials: bt } });
const dist = (canary: number[], baseline: number[]): MetricSamples => ({ kind: 'distribution', canary, baseline });
const crashes = (over: Partial<MetricCriterion> = {}): MetricCriterion => ({ metric: 'crash_rate', max: 0.05, minSamples: 20, ...over });
const increase = { badDirection: 'increase' as const, alpha: 0.05, maxEffect: 0.01 };
const decrease10 = { badDirection: 'decrease' as const, alpha: 0.05, maxEffect: 0.1 };
const range = (n: number, from: number, step: number) => Array.from({ length: n }, (_, i) => from + i * step);

describe('judgeMetric: thresholds', () => {
  it.each<[string, MetricCriterion, MetricSamples, Verdict, RegExp]>([
    ['a crash rate under its maximum passes', crashes(), rate(1, 100, 0, 0), 'pass', /crash_rate on the canary is 0\.01 \(1 of 100\), within its maximum 0\.05/],
    ['a crash rate over its maximum fails', crashes(), rate(6, 100, 0, 0), 'fail', /0\.06 \(6 of 100\), above the maximum 0\.05/],
    ['a rate exactly at its maximum passes', crashes(), rate(5, 100, 0, 0), 'pass', /within/],
    ['a median below its minimum fails', { metric: 'session_length_seconds', min: 300, minSamples: 5 }, dist([100, 200, 250, 400, 500], []), 'fail', /median 250 over 5 samples, below the minimum 300/],
    ['a median within both limits passes', { metric: 'allocation_latency_ms', min: 1, max: 50, minSamples: 3 }, dist([10, 20, 30], []), 'pass', /within its minimum 1 and maximum 50/],
  ])('%s', (_, criterion, samples, verdict, reason) => {
    const r = judgeMetric(criterion, samples);
    expect(r.verdict).toBe(verdict);
    expect(r.reason).toMatch(reason);
  });

  it('reports the canary value and its sample size', () => {
    expect(judgeMetric(crashes(), rate(6, 100, 2, 80))).toMatchObject({ canary: { n: 100, value: 0.06 }, baseline: { n: 80, value: 0.025 } });
    expect(judgeMetric({ metric: 'x', minSamples: 1 }, dist([3, 1, 2, Number.NaN], [4]))).toMatchObject({ canary: { n: 3, value: 2 }, baseline: { n: 1, value: 4 } });
  });
});

describe('judgeMetric: too little data', () => {
  it.each<[string, MetricCriterion, MetricSamples | undefined, Verdict, RegExp]>([
    ['missing samples are inconclusive', crashes(), undefined, 'inconclusive', /No samples of crash_rate were collected/],
    ['few canary samples are inconclusive', crashes(), rate(0, 5, 0, 100), 'inconclusive', /Only 5 canary samples of crash_rate in the window; 20 are needed/],
    ['an empty distribution is inconclusive', { metric: 'custom.tick_ms', max: 30, minSamples: 1 }, dist([], [1]), 'inconclusive', /Only 0 canary samples/],
    ['few baseline samples are inconclusive when comparing', crashes({ compare: increase }), rate(1, 100, 0, 3), 'inconclusive', /Only 3 baseline samples of crash_rate .* to compare with; 20 are needed/],
    ['a certain breach fails before minSamples: 3 crashes in 3 starts', crashes(), rate(3, 3, 0, 0), 'fail', /above the maximum 0\.05 whatever the remaining samples show \(3 of 3, so at least 0\.15 of the 20 needed\)/],
    ['one crash in 3 starts is not yet a certain breach', crashes(), rate(1, 3, 0, 0), 'inconclusive', /Only 3 canary samples/],
    ['a certain shortfall below a minimum fails early', { metric: 'custom.success_rate', min: 0.9, minSamples: 10 }, rate(0, 5, 0, 0), 'fail', /below the minimum 0\.9 whatever the remaining samples show/],
    ['invalid counts are inconclusive', crashes(), rate(5, 3, 0, 0), 'inconclusive', /invalid: 5 events in 3 trials/],
  ])('%s', (_, criterion, samples, verdict, reason) => {
    const r = judgeMetric(criterion, samples);
    expect(r.verdict).toBe(verdict);
    expect(r.reason).toMatch(reason);
  });

  it('a threshold breach with enough canary samples fails even when the baseline is too small to compare', () => {
    expect(judgeMetric(crashes({ compare: increase }), rate(10, 100, 0, 2)).verdict).toBe('fail');
  });
});

describe('judgeMetric: comparison with the baseline', () => {
  it('fails a crash rate significantly higher than the baseline by more than the bound', () => {
    const r = judgeMetric(crashes({ max: null, compare: increase }), rate(12, 200, 2, 200));
    expect(r.verdict).toBe('fail');
    expect(r.test).toMatchObject({ name: 'two-proportion-z', effect: expect.closeTo(0.05, 12) });
    expect(r.test!.pValue).toBeLessThan(0.01);
    expect(r.reason).toMatch(/crash_rate is significantly higher on the canary: 0\.06 \(12 of 200\) against 0\.01 \(2 of 200\) on the baseline, 5 percentage points worse \(two-proportion z = 2\.72, p = 0\.0033 < 0\.05; the bound is 1 percentage point\)\./);
  });

  it("uses Fisher's exact test when an expected count is below 5", () => {
    const r = judgeMetric(crashes({ max: null, compare: increase }), rate(6, 40, 0, 40));
    expect(r.test).toMatchObject({ name: 'fisher-exact', statistic: 6 });
    expect(r.test!.pValue).toBeCloseTo(3_838_380 / 300_500_200, 12); // all 6 crashes on the canary: C(40,6)/C(80,6)
    expect(r.verdict).toBe('fail');
  });

  it('passes a significant difference smaller than the bound', () => {
    const r = judgeMetric(crashes({ max: null, compare: { ...increase, maxEffect: 0.1 } }), rate(120, 2000, 20, 2000));
    expect(r.test!.pValue).toBeLessThan(0.0001);
    expect(r.verdict).toBe('pass');
    expect(r.reason).toMatch(/but only by 5 percentage points, within the bound of 10 percentage points \(two-proportion z = .*, p < 0\.0001\)/);
  });

  it('passes a difference in the good direction, however large', () => {
    const r = judgeMetric(crashes({ max: null, compare: increase }), rate(0, 200, 30, 200));
    expect(r.verdict).toBe('pass');
    expect(r.test!.effect).toBeLessThan(0);
    expect(r.reason).toMatch(/not significantly higher on the canary/);
  });

  it('fails sessions that got significantly shorter by more than 10 %', () => {
    const r = judgeMetric({ metric: 'session_length_seconds', minSamples: 20, compare: decrease10 }, dist(range(30, 300, 10), range(30, 600, 10)));
    expect(r.verdict).toBe('fail');
    expect(r.test).toMatchObject({ name: 'mann-whitney-u', statistic: 0 });
    // Hodges–Lehmann shift −300 against a baseline median of 745: 40.3 % worse.
    expect(r.test!.effect).toBeCloseTo(300 / 745, 10);
    expect(r.reason).toMatch(/session_length_seconds is significantly lower on the canary: median 445 over 30 samples against median 745 over 30 samples on the baseline, 40\.3 % worse \(Mann–Whitney U = 0, p < 0\.0001 < 0\.05; the bound is 10 %\)\./);
  });

  it('passes a shift in the bad direction that is not significant', () => {
    const r = judgeMetric({ metric: 'allocation_latency_ms', minSamples: 5, compare: { badDirection: 'increase', alpha: 0.05, maxEffect: 0.1 } }, dist([10, 12, 14, 16, 18], [9, 11, 13, 15, 17]));
    expect(r.verdict).toBe('pass');
    expect(r.test!.pValue).toBeGreaterThan(0.05);
  });

  it('measures a zero-median metric against the mean size of its values', () => {
    const r = judgeMetric({ metric: 'custom.desyncs', minSamples: 20, compare: { badDirection: 'increase', alpha: 0.05, maxEffect: 0.5 } }, dist([...Array(10).fill(0), ...Array(20).fill(3)], Array(30).fill(0)));
    expect(Number.isFinite(r.test!.effect)).toBe(true);
    expect(r.verdict).toBe('fail');
  });
});

describe('overallVerdict', () => {
  it.each<[Verdict[], Verdict]>([
    [['pass', 'pass'], 'pass'],
    [['pass', 'inconclusive'], 'inconclusive'],
    [['inconclusive', 'fail', 'pass'], 'fail'],
    [[], 'inconclusive'],
  ])('of %o is %s', (verdicts, expected) => {
    expect(overallVerdict(verdicts.map((verdict) => ({ verdict })))).toBe(expected);
  });

  it('judges every criterion and combines them', () => {
    const r = judge([crashes(), { metric: 'session_length_seconds', minSamples: 5 }], { crash_rate: rate(0, 50, 0, 50) });
    expect(r.verdict).toBe('inconclusive');
    expect(r.metrics.map((m) => m.verdict)).toEqual(['pass', 'inconclusive']);
  });
});

describe('judge: properties', () => {
  const count = (max: number) => fc.integer({ min: 0, max }).chain((trials) => fc.record({ trials: fc.constant(trials), events: fc.integer({ min: 0, max: trials }) }));
  const compareArb = fc.option(fc.record({ badDirection: fc.constantFrom('increase' as const, 'decrease' as const), alpha: fc.double({ min: 0.001, max: 0.5, noNaN: true }), maxEffect: fc.double({ min: 0, max: 1, noNaN: true }) }), { nil: null });

  it("never passes when the canary's crash count exceeds the threshold", () => {
    fc.assert(
      fc.property(count(500), count(500), fc.double({ min: 0, max: 0.99, noNaN: true }), fc.integer({ min: 1, max: 100 }), compareArb, (canary, baseline, max, minSamples, compare) => {
        fc.pre(canary.trials > 0 && canary.events / canary.trials > max);
        const r = judge([{ metric: 'crash_rate', max, minSamples, compare }], { crash_rate: { kind: 'rate', canary, baseline } });
        expect(r.verdict).not.toBe('pass');
      }),
      { numRuns: 500 },
    );
  });

  it('never passes with fewer than minSamples on the canary, or on the baseline when comparing', () => {
    const values = fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 40 });
    fc.assert(
      fc.property(values, values, fc.integer({ min: 1, max: 40 }), compareArb, (canary, baseline, minSamples, compare) => {
        fc.pre(canary.length < minSamples || (compare !== null && baseline.length < minSamples));
        const r = judge([{ metric: 'custom.tick_ms', minSamples, compare }], { 'custom.tick_ms': dist(canary, baseline) });
        expect(r.verdict).not.toBe('pass');
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(count(60), count(60), fc.integer({ min: 1, max: 60 }), compareArb, (canary, baseline, minSamples, compare) => {
        fc.pre(canary.trials < minSamples || (compare !== null && baseline.trials < minSamples));
        const r = judge([{ metric: 'abnormal_close_rate', minSamples, compare }], { abnormal_close_rate: { kind: 'rate', canary, baseline } });
        expect(r.verdict).not.toBe('pass');
      }),
      { numRuns: 300 },
    );
  });

  it('never fails on comparison when canary and baseline are identical', () => {
    const values = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(values, compareArb.filter((c) => c !== null), (v, compare) => {
        const r = judge([{ metric: 'custom.x', minSamples: 1, compare }], { 'custom.x': dist(v, [...v]) });
        expect(r.verdict).toBe('pass');
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(count(5000).filter((c) => c.trials > 0), compareArb.filter((c) => c !== null), (c, compare) => {
        const r = judge([{ metric: 'crash_rate', minSamples: 1, compare }], { crash_rate: { kind: 'rate', canary: c, baseline: { ...c } } });
        expect(r.verdict).toBe('pass');
      }),
      { numRuns: 300 },
    );
  });
});
