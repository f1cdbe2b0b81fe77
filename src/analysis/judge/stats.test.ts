import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fisherExact, hodgesLehmannShift, mannWhitneyU, median, normalCdf, rankBiserial, twoProportionZTest, zTestApplies } from './stats.js';

/**
 * Published values, each with its source:
 * - Φ: Abramowitz & Stegun, Handbook of Mathematical Functions (1964), Table 26.1 (P(x) to 15
 *   places); the 97.5 % point 1.959963984540054 (ibid. Table 26.5; R `qnorm(0.975)`); the far
 *   tail Q(10) = 7.619853024160527e-24 (R `pnorm(-10)`).
 * - Mann–Whitney: R's own example outputs, `tests/Examples/stats-Ex.Rout.save` in the R sources
 *   (section `wilcox.test`): Hollander & Wolfe (1973) p. 69f permeability data and the
 *   `airquality` Ozone May-vs-August comparison (the data are R's `datasets::airquality`).
 * - Fisher: the same file, section `fisher.test`: Agresti's tea-tasting table and Fisher's
 *   convictions of like-sex twins.
 * - Two-proportion z: statsmodels' `proportions_ztest` docstring example, whose full-precision
 *   figures are asserted in `statsmodels/stats/tests/test_proportion.py` (test_default_values, GH 2969).
 */

const permeabilityTerm = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const permeabilityEarly = [1.15, 0.88, 0.9, 0.74, 1.21];
// airquality$Ozone for Month 5 and Month 8, NAs removed (R drops them too).
const ozoneMay = [41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45, 115, 37];
const ozoneAug = [39, 9, 16, 78, 35, 66, 122, 89, 110, 44, 28, 65, 22, 59, 23, 31, 44, 21, 9, 45, 168, 73, 76, 118, 84, 85];

describe('normalCdf', () => {
  it.each([
    [0, 0.5],
    [1, 0.841344746068543],
    [-1, 0.158655253931457],
    [3, 0.998650101968370],
    [-3, 0.001349898031630],
    [1.959963984540054, 0.975],
  ])('Φ(%f) = %f as tabulated by Abramowitz & Stegun', (x, p) => {
    expect(normalCdf(x)).toBeCloseTo(p, 14);
  });

  it('keeps the far tail relative-accurate: Φ(−10) = 7.619853024160527e-24', () => {
    expect(normalCdf(-10) / 7.619853024160527e-24).toBeCloseTo(1, 7);
    expect(normalCdf(-40)).toBe(0);
    expect(normalCdf(40)).toBe(1);
  });

  it('is symmetric: Φ(x) + Φ(−x) = 1', () => {
    fc.assert(fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (x) => Math.abs(normalCdf(x) + normalCdf(-x) - 1) < 1e-15));
  });
});

describe('mannWhitneyU', () => {
  it('reproduces R: Hollander & Wolfe permeability, exact one-sided: W = 35, p = 0.1272', () => {
    const r = mannWhitneyU(permeabilityTerm, permeabilityEarly, 'greater');
    expect(r).toMatchObject({ u: 35, n1: 10, n2: 5, method: 'exact', ties: false, z: null });
    expect(r.pValue).toBeCloseTo(0.1272, 4);
  });

  it("reproduces R's large-sample approximation without continuity correction: p = 0.1103", () => {
    const r = mannWhitneyU(permeabilityTerm, permeabilityEarly, 'greater', { exact: false, correct: false });
    expect(r.method).toBe('normal');
    expect(r.pValue).toBeCloseTo(0.1103, 4);
  });

  it("gives the exact two-sided p as R defines it (twice the smaller tail): 2 × 0.1272", () => {
    expect(mannWhitneyU(permeabilityTerm, permeabilityEarly, 'two-sided').pValue).toBeCloseTo(2 * 0.12721, 4);
    // The other direction is the complementary tail: P(U ≤ 35) = 1 − P(U ≥ 36).
    expect(mannWhitneyU(permeabilityTerm, permeabilityEarly, 'less').pValue).toBeGreaterThan(0.85);
  });

  it('reproduces R with ties (airquality Ozone, May vs August): W = 127.5, p = 0.0001208', () => {
    const r = mannWhitneyU(ozoneMay, ozoneAug, 'two-sided');
    expect(r).toMatchObject({ u: 127.5, n1: 26, n2: 26, method: 'normal', ties: true });
    expect(r.pValue).toBeCloseTo(0.0001208, 7);
    // One-sided in the direction of the data is half of it; the other direction is near 1.
    expect(mannWhitneyU(ozoneMay, ozoneAug, 'less').pValue).toBeCloseTo(0.0001208 / 2, 7);
    expect(mannWhitneyU(ozoneMay, ozoneAug, 'greater').pValue).toBeGreaterThan(0.999);
  });

  it('finds nothing significant when every value is tied', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5], 'greater')).toMatchObject({ u: 3, z: 0, pValue: 1 });
  });

  it('matches a brute-force enumeration of all arrangements for small samples', () => {
    const sample = fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 11 });
    fc.assert(
      fc.property(sample, fc.integer({ min: 1, max: 10 }), fc.constantFrom('two-sided', 'greater', 'less' as const), (values, cut, alt) => {
        const n1 = Math.min(cut, values.length - 1);
        const x = values.slice(0, n1);
        const y = values.slice(n1);
        const r = mannWhitneyU(x, y, alt);
        expect(r.method).toBe('exact');
        expect(r.pValue).toBeCloseTo(bruteForceP(x, y, alt), 12);
      }),
      { numRuns: 150 },
    );
  });

  it('agrees with its normal approximation for moderate samples without ties', () => {
    const x = Array.from({ length: 20 }, (_, i) => i * 1.7 + 3);
    const y = Array.from({ length: 20 }, (_, i) => i * 1.9);
    const exact = mannWhitneyU(x, y, 'greater').pValue;
    const approx = mannWhitneyU(x, y, 'greater', { exact: false }).pValue;
    expect(Math.abs(exact - approx)).toBeLessThan(0.01);
  });
});

/** All C(n1+n2, n1) ways to split the pooled values, counting U as extreme as the observed one. */
function bruteForceP(x: number[], y: number[], alt: 'two-sided' | 'greater' | 'less'): number {
  const pooled = [...x, ...y];
  const uOf = (a: number[], b: number[]) => a.reduce((s, v) => s + b.filter((w) => v > w).length, 0);
  const observed = uOf(x, y);
  const us: number[] = [];
  const pick = (start: number, chosen: number[]): void => {
    if (chosen.length === x.length) {
      us.push(uOf(chosen.map((i) => pooled[i]!), pooled.filter((_, i) => !chosen.includes(i))));
      return;
    }
    for (let i = start; i < pooled.length; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  const ge = us.filter((u) => u >= observed).length / us.length;
  const le = us.filter((u) => u <= observed).length / us.length;
  if (alt === 'greater') return ge;
  if (alt === 'less') return le;
  return Math.min(1, 2 * (observed > (x.length * y.length) / 2 ? ge : le));
}

describe('hodgesLehmannShift', () => {
  it('is the median of the pairwise differences (worked by hand)', () => {
    // Differences of [10, 20] − [1, 2, 3]: 9, 8, 7, 19, 18, 17 → median of 6 = (9 + 17) / 2.
    expect(hodgesLehmannShift([10, 20], [1, 2, 3])).toBe(13);
    expect(hodgesLehmannShift([5], [5])).toBe(0);
    expect(hodgesLehmannShift([1, 2, 3], [1, 2, 3])).toBe(0);
  });

  it('equals the brute-force median of all differences, ties and duplicates included', () => {
    const values = fc.array(fc.integer({ min: -50, max: 50 }).map((v) => v / 4), { minLength: 1, maxLength: 25 });
    fc.assert(
      fc.property(values, values, (x, y) => {
        const diffs = x.flatMap((a) => y.map((b) => a - b));
        expect(hodgesLehmannShift(x, y)).toBe(median(diffs));
      }),
      { numRuns: 300 },
    );
  });

  it('handles samples far too large to pair up', () => {
    const x = Array.from({ length: 20_000 }, (_, i) => 100 + (i % 997));
    const y = Array.from({ length: 20_000 }, (_, i) => i % 997);
    expect(hodgesLehmannShift(x, y)).toBe(100);
  });
});

describe('rankBiserial', () => {
  it('is 1 when every canary value is larger, −1 when every one is smaller, 0 when interleaved', () => {
    expect(rankBiserial(mannWhitneyU([4, 5], [1, 2], 'two-sided').u, 2, 2)).toBe(1);
    expect(rankBiserial(mannWhitneyU([1, 2], [4, 5], 'two-sided').u, 2, 2)).toBe(-1);
    expect(rankBiserial(mannWhitneyU([1, 4], [2, 3], 'two-sided').u, 2, 2)).toBe(0);
  });
});

describe('twoProportionZTest', () => {
  it('reproduces statsmodels: 5/83 vs 12/99 gives z = −1.40783, p = 0.15918', () => {
    const r = twoProportionZTest({ events: 5, trials: 83 }, { events: 12, trials: 99 }, 'two-sided');
    expect(r.z).toBeCloseTo(-1.4078304151258787, 12);
    expect(r.pValue).toBeCloseTo(0.15918129181156992, 12);
    expect(twoProportionZTest({ events: 5, trials: 83 }, { events: 12, trials: 99 }, 'less').pValue).toBeCloseTo(0.15918129181156992 / 2, 12);
    expect(twoProportionZTest({ events: 5, trials: 83 }, { events: 12, trials: 99 }, 'greater').pValue).toBeCloseTo(1 - 0.15918129181156992 / 2, 12);
  });

  it('finds no difference between two samples without events', () => {
    expect(twoProportionZTest({ events: 0, trials: 50 }, { events: 0, trials: 70 }, 'greater')).toEqual({ difference: 0, z: 0, pValue: 1 });
  });

  it.each([
    [{ events: 5, trials: 83 }, { events: 12, trials: 99 }, true],
    [{ events: 1, trials: 40 }, { events: 0, trials: 40 }, false],
    [{ events: 60, trials: 100 }, { events: 97, trials: 100 }, true],
    [{ events: 99, trials: 100 }, { events: 100, trials: 100 }, false],
  ])('applies (every expected cell ≥ 5) to %o vs %o: %s', (a, b, ok) => {
    expect(zTestApplies(a, b)).toBe(ok);
  });
});

describe('fisherExact', () => {
  it("reproduces R: Agresti's tea tasting, one-sided greater: p = 0.2429", () => {
    expect(fisherExact({ events: 3, trials: 4 }, { events: 1, trials: 4 }, 'greater').pValue).toBeCloseTo(0.2429, 4);
  });

  it("reproduces R: Fisher's twin convictions, less: p = 0.0004652, two-sided: p = 0.0005367", () => {
    expect(fisherExact({ events: 2, trials: 17 }, { events: 10, trials: 13 }, 'less').pValue).toBeCloseTo(0.0004652, 7);
    expect(fisherExact({ events: 2, trials: 17 }, { events: 10, trials: 13 }, 'two-sided').pValue).toBeCloseTo(0.0005367, 7);
  });

  it('gives p = 1 when no table could be more extreme, and stays in [0, 1]', () => {
    expect(fisherExact({ events: 0, trials: 10 }, { events: 0, trials: 10 }, 'greater').pValue).toBe(1);
    const count = fc.integer({ min: 1, max: 60 }).chain((trials) => fc.record({ trials: fc.constant(trials), events: fc.integer({ min: 0, max: trials }) }));
    fc.assert(
      fc.property(count, count, (a, b) => {
        const greater = fisherExact(a, b, 'greater').pValue;
        const less = fisherExact(a, b, 'less').pValue;
        // The two tails overlap in the observed table, so they cover everything.
        return greater >= 0 && greater <= 1 && less >= 0 && less <= 1 && greater + less >= 1 - 1e-12;
      }),
    );
  });

  it('handles large trials with few events without building factorials', () => {
    const p = fisherExact({ events: 3, trials: 1_000_000 }, { events: 0, trials: 1_000_000 }, 'greater').pValue;
    expect(p).toBeCloseTo(0.125, 6); // 3 events split evenly at random: all 3 on the canary = 1/8
  });
});

describe('median', () => {
  it.each([
    [[], null],
    [[3], 3],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
  ])('of %o is %o', (values, m) => {
    expect(median(values)).toBe(m);
  });
});
