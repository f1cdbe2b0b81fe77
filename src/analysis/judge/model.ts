/**
 * The contract between what Handoff observes about a build (signals) and the judge that turns
 * those observations into a release verdict. Pure data: the judge (`judge.ts`) never reads a
 * clock or the store; the analysis runner gathers samples for one time window and passes them in.
 */

export const Verdicts = ['pass', 'fail', 'inconclusive'] as const;
export type Verdict = (typeof Verdicts)[number];

/** Events out of trials, for rates such as crashes per server started or abnormal closes per session. */
export interface RateSample {
  events: number;
  trials: number;
}

/**
 * What one metric looked like over the analysis window, for the canary (the build under test)
 * and the baseline (the build it replaces), measured over the same window. `values` for
 * distributions (session lengths, tick times, allocation latency); `rate` for proportions.
 */
export type MetricSamples =
  | { kind: 'distribution'; canary: readonly number[]; baseline: readonly number[] }
  | { kind: 'rate'; canary: RateSample; baseline: RateSample };

/** Which way is worse for a metric: more crashes are bad, shorter sessions may be bad. */
export type BadDirection = 'increase' | 'decrease';

/** One metric an analysis judges, as the operator wrote it in the release spec. */
export interface MetricCriterion {
  /** A built-in signal (see `signals` catalogue) or `custom.<name>` reported through the SDK. */
  metric: string;
  /** Fail when the canary's value (rate, or median of a distribution) is above this. */
  max?: number | null;
  /** Fail when the canary's value is below this. */
  min?: number | null;
  /**
   * Compare the canary with the baseline: Mann–Whitney U for distributions, a two-proportion
   * test for rates. Fails only when the difference is significant (p < alpha) in the bad
   * direction AND larger than the effect bound, so a tiny but significant shift passes.
   */
  compare?: { badDirection: BadDirection; alpha: number; maxEffect: number } | null;
  /** Fewer samples than this on either side makes the metric inconclusive, never a silent pass. */
  minSamples: number;
}

export interface MetricResult {
  metric: string;
  verdict: Verdict;
  canary: { n: number; value: number | null };
  baseline: { n: number; value: number | null };
  /**
   * The test used and its figures, when a comparison ran. `statistic`: U of the canary for
   * Mann–Whitney, z for the two-proportion test, the canary's event count for Fisher's exact
   * test (used instead of z when an expected count is below 5). `effect` is how much worse the
   * canary is, positive in the bad direction: for distributions the Hodges–Lehmann shift
   * relative to the baseline median (0.1 = 10 % worse), for rates the difference of the rates
   * (0.01 = one percentage point worse). See docs/analysis.md.
   */
  test?: { name: 'mann-whitney-u' | 'two-proportion-z' | 'fisher-exact'; statistic: number; pValue: number; effect: number } | null;
  /** One sentence an operator reads in `rollout status`. */
  reason: string;
}

export interface AnalysisResult {
  /** fail if any metric fails; else inconclusive if any is inconclusive; else pass. */
  verdict: Verdict;
  metrics: MetricResult[];
}
