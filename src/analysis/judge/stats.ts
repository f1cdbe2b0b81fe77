/**
 * The statistics behind a verdict, pure and dependency-free: the Mann–Whitney U test (exact for
 * small samples without ties, otherwise the tie-corrected normal approximation with continuity
 * correction, as R's `wilcox.test` does), the Hodges–Lehmann shift, the pooled two-proportion
 * z-test and Fisher's exact test. Every p-value here is checked against published values in
 * `stats.test.ts`.
 */

/**
 * Which way the alternative hypothesis points, for the first sample (the canary) against the
 * second (the baseline): `greater` means the canary's values or rate tend to be larger.
 */
export type Alternative = 'two-sided' | 'greater' | 'less';

/**
 * Φ(x), the standard normal CDF. Hart's double-precision rational approximation (algorithm
 * 5666, as given by West, "Better approximations to cumulative normal functions", 2005): about
 * 1e-15 absolute error, and the far tail stays accurate relative to its size (≈1e-8), where
 * computing `1 - Φ` would round tiny p-values to 0.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  let tail: number;
  if (a > 37) {
    tail = 0;
  } else {
    const e = Math.exp((-a * a) / 2);
    if (a < 7.07106781186547) {
      let num = 3.52624965998911e-2 * a + 0.700383064443688;
      num = num * a + 6.37396220353165;
      num = num * a + 33.912866078383;
      num = num * a + 112.079291497871;
      num = num * a + 221.213596169931;
      num = num * a + 220.206867912376;
      let den = 8.83883476483184e-2 * a + 1.75566716318264;
      den = den * a + 16.064177579207;
      den = den * a + 86.7807322029461;
      den = den * a + 296.564248779674;
      den = den * a + 637.333633378831;
      den = den * a + 793.826512519948;
      den = den * a + 440.413735824752;
      tail = (e * num) / den;
    } else {
      // Continued fraction for the far tail.
      let d = a + 0.65;
      d = a + 4 / d;
      d = a + 3 / d;
      d = a + 2 / d;
      d = a + 1 / d;
      tail = e / d / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

/** P-value of a standard normal statistic `z` under the alternative. */
export function normalPValue(z: number, alternative: Alternative): number {
  if (alternative === 'greater') return normalCdf(-z);
  if (alternative === 'less') return normalCdf(z);
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}

/** The median of finite values (mean of the two middle ones for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface MannWhitneyResult {
  /** U of the first sample (R's `W`): pairs (x, y) with x > y, plus half the ties. */
  u: number;
  n1: number;
  n2: number;
  /** The standardized statistic of the normal approximation; null when the exact distribution was used. */
  z: number | null;
  pValue: number;
  method: 'exact' | 'normal';
  /** Whether any value occurs more than once across both samples (ties force the approximation). */
  ties: boolean;
}

/**
 * The Mann–Whitney U (Wilcoxon rank-sum) test of `x` against `y`. Exact when there are no ties
 * and the number of arrangements C(n1+n2, n1) stays below 2^53 (so every count is an exact
 * double); otherwise the normal approximation with the tie correction of the variance and a
 * continuity correction of 0.5 — the same choices as R's `wilcox.test(x, y)`; `exact: false`
 * and `correct: false` turn them off as R's arguments of the same names do. Both samples must
 * be non-empty.
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  alternative: Alternative,
  options: { exact?: boolean; correct?: boolean } = {},
): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU needs at least one value in each sample');
  const all = [...x.map((v) => ({ v, first: true })), ...y.map((v) => ({ v, first: false }))].sort((a, b) => a.v - b.v);
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const t = j - i + 1;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k]!.first) rankSumX += midRank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const ties = tieTerm > 0;
  if ((options.exact ?? true) && !ties && choose(n1 + n2, Math.min(n1, n2)) < 2 ** 53) {
    return { u, n1, n2, z: null, pValue: exactUPValue(u, n1, n2, alternative), method: 'exact', ties };
  }
  const n = n1 + n2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const d = u - (n1 * n2) / 2;
  // Every value tied: no ordering information at all, so nothing is significant.
  if (sigma === 0) return { u, n1, n2, z: 0, pValue: 1, method: 'normal', ties };
  const half = options.correct === false ? 0 : 0.5;
  const correction = alternative === 'greater' ? half : alternative === 'less' ? -half : Math.sign(d) * half;
  const z = (d - correction) / sigma;
  return { u, n1, n2, z, pValue: normalPValue(z, alternative), method: 'normal', ties };
}

/** C(n, k) as a double; exact while it is below 2^53. */
function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/**
 * Counts of arrangements by U: the coefficients of the Gaussian binomial [n1+n2 choose n1]_q,
 * built as ∏ (1 - q^(n2+i)) / (1 - q^i). Multiplying before dividing keeps every coefficient an
 * integer no larger than twice the final ones, so all arithmetic is exact under 2^53.
 */
function uCounts(n1: number, n2: number): number[] {
  const top = n1 * n2;
  const c = new Array<number>(top + 1).fill(0);
  c[0] = 1;
  for (let i = 1; i <= n1; i++) {
    const m = n2 + i;
    for (let k = top; k >= m; k--) c[k] = c[k]! - c[k - m]!;
    for (let k = i; k <= top; k++) c[k] = c[k]! + c[k - i]!;
  }
  return c;
}

function exactUPValue(u: number, n1: number, n2: number, alternative: Alternative): number {
  const counts = uCounts(n1, n2);
  const total = counts.reduce((a, b) => a + b, 0);
  const atMost = (q: number): number => {
    let s = 0;
    for (let k = 0; k <= Math.min(q, counts.length - 1); k++) s += counts[k]!;
    return s / total;
  };
  const atLeast = (q: number): number => 1 - atMost(q - 1);
  if (alternative === 'greater') return atLeast(u);
  if (alternative === 'less') return atMost(u);
  const p = u > (n1 * n2) / 2 ? atLeast(u) : atMost(u);
  return Math.min(1, 2 * p);
}

/**
 * The Hodges–Lehmann estimate of the shift of `x` against `y`: the median of all n1·n2
 * differences x_i − y_j. Found without building the pairs (sessions can number in the tens of
 * thousands): bisection on the value, counting pairs at or below a candidate in O(n1 + n2),
 * then snapping to the nearest real difference so the answer is exact.
 */
export function hodgesLehmannShift(x: readonly number[], y: readonly number[]): number {
  if (x.length === 0 || y.length === 0) throw new RangeError('hodgesLehmannShift needs at least one value in each sample');
  const xs = [...x].sort((a, b) => a - b);
  const ys = [...y].sort((a, b) => a - b);
  const total = xs.length * ys.length;
  const lowK = Math.floor((total + 1) / 2);
  const highK = Math.floor(total / 2) + 1;
  const low = kthDifference(xs, ys, lowK);
  return lowK === highK ? low : (low + kthDifference(xs, ys, highK)) / 2;
}

/** How many differences x_i − y_j are ≤ t (xs, ys ascending). */
function countAtMost(xs: number[], ys: number[], t: number): number {
  // For growing x_i the first y_j with x_i − y_j ≤ t moves right: one pass.
  let count = 0;
  let j = 0;
  for (const xi of xs) {
    while (j < ys.length && xi - ys[j]! > t) j++;
    count += ys.length - j;
  }
  return count;
}

/** The smallest difference x_i − y_j strictly above t, or Infinity. */
function smallestAbove(xs: number[], ys: number[], t: number): number {
  let best = Number.POSITIVE_INFINITY;
  let j = -1;
  for (const xi of xs) {
    // The largest y_j with x_i − y_j > t gives x_i's smallest difference above t.
    while (j + 1 < ys.length && xi - ys[j + 1]! > t) j++;
    if (j >= 0) best = Math.min(best, xi - ys[j]!);
  }
  return best;
}

/** The k-th smallest (1-based) of all differences x_i − y_j. */
function kthDifference(xs: number[], ys: number[], k: number): number {
  let lo = xs[0]! - ys[ys.length - 1]! - 1; // below every difference: count(≤ lo) = 0 < k
  let hi = xs[xs.length - 1]! - ys[0]!; // the largest difference: count(≤ hi) = all ≥ k
  for (;;) {
    // Invariant: count(≤ lo) < k ≤ count(≤ hi). The next real difference above lo is the answer
    // as soon as it reaches k; otherwise it is a better lo.
    const next = smallestAbove(xs, ys, lo);
    if (countAtMost(xs, ys, next) >= k) return next;
    lo = next;
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) continue;
    if (countAtMost(xs, ys, mid) >= k) hi = mid;
    else lo = mid;
  }
}

/** Rank-biserial correlation from U: 2U/(n1·n2) − 1, in [−1, 1]; positive when x tends to be larger. */
export function rankBiserial(u: number, n1: number, n2: number): number {
  return (2 * u) / (n1 * n2) - 1;
}

export interface Counts {
  events: number;
  trials: number;
}

export interface ProportionTestResult {
  /** The first sample's rate minus the second's. */
  difference: number;
  z: number;
  pValue: number;
}

/**
 * The two-proportion z-test with the pooled variance and no continuity correction (the same as
 * statsmodels' `proportions_ztest`, and √ of R's `prop.test(correct = FALSE)` statistic).
 * Two identical extremes (no events at all, or only events) give z = 0 and p = 1.
 */
export function twoProportionZTest(a: Counts, b: Counts, alternative: Alternative): ProportionTestResult {
  if (a.trials <= 0 || b.trials <= 0) throw new RangeError('twoProportionZTest needs at least one trial in each sample');
  const p1 = a.events / a.trials;
  const p2 = b.events / b.trials;
  const pooled = (a.events + b.events) / (a.trials + b.trials);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  if (se === 0) return { difference: p1 - p2, z: 0, pValue: 1 };
  const z = (p1 - p2) / se;
  return { difference: p1 - p2, z, pValue: normalPValue(z, alternative) };
}

/**
 * Whether the z-test's normal approximation is trustworthy: every expected cell count of the
 * 2×2 table under the pooled rate is at least 5 (the usual textbook rule). Otherwise use Fisher.
 */
export function zTestApplies(a: Counts, b: Counts): boolean {
  const pooled = (a.events + b.events) / (a.trials + b.trials);
  return Math.min(a.trials, b.trials) * Math.min(pooled, 1 - pooled) >= 5;
}

/**
 * Fisher's exact test on the 2×2 table [[a.events, a.trials − a.events], [b.events, …]]:
 * conditional on the margins, the first sample's event count is hypergeometric. One-sided
 * p-values sum a tail; the two-sided one sums every table no more likely than the observed one
 * (with R's relative tolerance of 1e-7 for equal probabilities).
 */
export function fisherExact(a: Counts, b: Counts, alternative: Alternative): { pValue: number } {
  const events = a.events + b.events;
  const total = a.trials + b.trials;
  const lo = Math.max(0, a.trials - (total - events));
  const hi = Math.min(events, a.trials);
  // Probabilities up to a constant, by the ratio of neighbours from the mode outwards: no
  // factorials, and far tails underflow harmlessly to 0.
  const size = hi - lo + 1;
  const w = new Array<number>(size).fill(0);
  const ratio = (x: number): number => ((events - x) * (a.trials - x)) / ((x + 1) * (total - events - a.trials + x + 1)); // P(x+1)/P(x)
  let mode = lo;
  while (mode < hi && ratio(mode) > 1) mode++;
  w[mode - lo] = 1;
  for (let x = mode; x < hi; x++) w[x + 1 - lo] = w[x - lo]! * ratio(x);
  for (let x = mode; x > lo; x--) w[x - 1 - lo] = w[x - lo]! / ratio(x - 1);
  const sum = w.reduce((s, v) => s + v, 0);
  const observed = a.events - lo;
  let p = 0;
  if (alternative === 'greater') for (let i = observed; i < size; i++) p += w[i]!;
  else if (alternative === 'less') for (let i = 0; i <= observed; i++) p += w[i]!;
  else {
    const limit = w[observed]! * (1 + 1e-7);
    for (const v of w) if (v <= limit) p += v;
  }
  return { pValue: Math.min(1, p / sum) };
}
