/**
 * The judge: turns what a canary and its baseline looked like over one window into a verdict
 * per metric and one for the release. Pure (no clock, no I/O), so a stored verdict can be
 * replayed from its samples. Rules, in order, for each metric:
 *
 * 1. No samples at all → inconclusive.
 * 2. Fewer canary samples than `minSamples` → inconclusive, unless a rate's threshold is already
 *    breached whatever the missing samples turn out to be (3 crashes in 3 starts against a 5 %
 *    maximum fails at once: waiting for 17 more starts cannot bring it under).
 * 3. A threshold (`max`, `min`) on the canary's value — its rate, or the median of a
 *    distribution — breached → fail.
 * 4. With `compare`: fewer baseline samples than `minSamples` → inconclusive; otherwise a
 *    one-sided test in the bad direction fails only when p < alpha AND the effect exceeds
 *    `maxEffect`, so a tiny but significant difference on a big fleet passes.
 *
 * Too little data is never a silent pass.
 */
import type { AnalysisResult, MetricCriterion, MetricResult, MetricSamples, RateSample, Verdict } from './model.js';
import { fisherExact, hodgesLehmannShift, mannWhitneyU, median, twoProportionZTest, zTestApplies, type Alternative } from './stats.js';

/** Judges every criterion against its samples (keyed by metric name; missing → inconclusive). */
export function judge(criteria: readonly MetricCriterion[], samples: Readonly<Record<string, MetricSamples | undefined>>): AnalysisResult {
  const metrics = criteria.map((c) => judgeMetric(c, samples[c.metric]));
  return { verdict: overallVerdict(metrics), metrics };
}

/**
 * Any fail → fail; else any inconclusive → inconclusive; else pass. Nothing judged at all is
 * inconclusive, not a pass. Also combines results from other sources (Prometheus, webhooks).
 */
export function overallVerdict(results: readonly { verdict: Verdict }[]): Verdict {
  if (results.length === 0) return 'inconclusive';
  if (results.some((r) => r.verdict === 'fail')) return 'fail';
  if (results.some((r) => r.verdict === 'inconclusive')) return 'inconclusive';
  return 'pass';
}

type Side = { n: number; value: number | null };

/** One metric's verdict with its numbers and a sentence saying why. */
export function judgeMetric(c: MetricCriterion, s: MetricSamples | undefined): MetricResult {
  const none: Side = { n: 0, value: null };
  if (!s) return { metric: c.metric, verdict: 'inconclusive', canary: none, baseline: none, test: null, reason: `No samples of ${c.metric} were collected in the window.` };
  if (s.kind === 'rate') {
    const bad = [s.canary, s.baseline].find((r) => !validRate(r));
    if (bad) return { metric: c.metric, verdict: 'inconclusive', canary: none, baseline: none, test: null, reason: `The samples of ${c.metric} are invalid: ${bad.events} events in ${bad.trials} trials.` };
  }
  const canary = side(s, 'canary');
  const baseline = side(s, 'baseline');
  const result = (verdict: Verdict, reason: string, test: MetricResult['test'] = null): MetricResult => ({ metric: c.metric, verdict, canary, baseline, test, reason });
  // Nothing can be judged on zero samples, whatever minSamples says.
  const minSamples = Math.max(1, c.minSamples);

  if (canary.n < minSamples || canary.value === null) {
    const certain = s.kind === 'rate' ? certainBreach(c, minSamples, s.canary) : null;
    if (certain) return result('fail', certain);
    return result('inconclusive', `Only ${canary.n} canary ${plural(canary.n, 'sample')} of ${c.metric} in the window; ${minSamples} ${minSamples === 1 ? 'is' : 'are'} needed.`);
  }
  const breach = thresholdBreach(c, s, canary.value);
  const test = c.compare && baseline.n >= minSamples ? compare(c.compare, s) : null;
  if (breach) return result('fail', breach, test);
  if (!c.compare) return result('pass', `${c.metric} on the canary is ${describe(s, 'canary')}, within ${limits(c)}.`);
  if (!test) return result('inconclusive', `Only ${baseline.n} baseline ${plural(baseline.n, 'sample')} of ${c.metric} in the window to compare with; ${minSamples} ${minSamples === 1 ? 'is' : 'are'} needed.`);

  const { alpha, maxEffect } = c.compare;
  const worse = c.compare.badDirection === 'increase' ? 'higher' : 'lower';
  const figures = `${testLabel(test)}, p ${fmtP(test.pValue)}`;
  const versus = `${describe(s, 'canary')} against ${describe(s, 'baseline')} on the baseline`;
  if (test.pValue < alpha && test.effect > maxEffect) {
    return result('fail', `${c.metric} is significantly ${worse} on the canary: ${versus}, ${fmtEffect(s.kind, test.effect)} worse (${figures} < ${alpha}; the bound is ${fmtEffect(s.kind, maxEffect)}).`, test);
  }
  if (test.pValue < alpha) {
    return result('pass', `${c.metric} is ${worse} on the canary (${versus}) but only by ${fmtEffect(s.kind, test.effect)}, within the bound of ${fmtEffect(s.kind, maxEffect)} (${figures}).`, test);
  }
  return result('pass', `${c.metric} is not significantly ${worse} on the canary: ${versus} (${figures} ≥ ${alpha}).`, test);
}

function validRate(r: RateSample): boolean {
  return Number.isInteger(r.events) && Number.isInteger(r.trials) && r.events >= 0 && r.trials >= 0 && r.events <= r.trials;
}

function finite(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v));
}

function side(s: MetricSamples, which: 'canary' | 'baseline'): Side {
  if (s.kind === 'rate') {
    const r = s[which];
    return { n: r.trials, value: r.trials > 0 ? r.events / r.trials : null };
  }
  const v = finite(s[which]);
  return { n: v.length, value: median(v) };
}

/** A rate's threshold that no outcome of the missing samples could bring back within bounds. */
function certainBreach(c: MetricCriterion, minSamples: number, r: RateSample): string | null {
  const needed = Math.max(minSamples, r.trials);
  const lowest = r.events / needed; // every missing trial without an event
  const highest = (r.events + needed - r.trials) / needed; // every missing trial with one
  const seen = `${r.events} of ${r.trials}, so at least ${fmt(lowest)} of the ${needed} needed`;
  if (c.max != null && lowest > c.max) return `${c.metric} on the canary is above the maximum ${fmt(c.max)} whatever the remaining samples show (${seen}).`;
  if (c.min != null && highest < c.min) return `${c.metric} on the canary is below the minimum ${fmt(c.min)} whatever the remaining samples show (${r.events} of ${r.trials}, so at most ${fmt(highest)} of the ${needed} needed).`;
  return null;
}

function thresholdBreach(c: MetricCriterion, s: MetricSamples, value: number): string | null {
  if (c.max != null && value > c.max) return `${c.metric} on the canary is ${describe(s, 'canary')}, above the maximum ${fmt(c.max)}.`;
  if (c.min != null && value < c.min) return `${c.metric} on the canary is ${describe(s, 'canary')}, below the minimum ${fmt(c.min)}.`;
  return null;
}

type Test = NonNullable<MetricResult['test']>;

function compare(cmp: NonNullable<MetricCriterion['compare']>, s: MetricSamples): Test {
  const alternative: Alternative = cmp.badDirection === 'increase' ? 'greater' : 'less';
  const sign = cmp.badDirection === 'increase' ? 1 : -1;
  if (s.kind === 'rate') {
    const effect = sign * (s.canary.events / s.canary.trials - s.baseline.events / s.baseline.trials);
    if (zTestApplies(s.canary, s.baseline)) {
      const z = twoProportionZTest(s.canary, s.baseline, alternative);
      return { name: 'two-proportion-z', statistic: z.z, pValue: z.pValue, effect };
    }
    return { name: 'fisher-exact', statistic: s.canary.events, pValue: fisherExact(s.canary, s.baseline, alternative).pValue, effect };
  }
  const canary = finite(s.canary);
  const baseline = finite(s.baseline);
  const mw = mannWhitneyU(canary, baseline, alternative);
  // Relative to the baseline's median; a metric whose median is 0 (errors per match, say) is
  // measured against the mean size of all its values instead, so the effect stays finite.
  const all = [...canary, ...baseline];
  const scale = Math.abs(median(baseline) ?? 0) || all.reduce((a, v) => a + Math.abs(v), 0) / all.length;
  const effect = scale === 0 ? 0 : (sign * hodgesLehmannShift(canary, baseline)) / scale;
  return { name: 'mann-whitney-u', statistic: mw.u, pValue: mw.pValue, effect };
}

function describe(s: MetricSamples, which: 'canary' | 'baseline'): string {
  if (s.kind === 'rate') {
    const r = s[which];
    return `${fmt(r.trials > 0 ? r.events / r.trials : 0)} (${r.events} of ${r.trials})`;
  }
  const v = finite(s[which]);
  return `median ${fmt(median(v) ?? 0)} over ${v.length} ${plural(v.length, 'sample')}`;
}

function limits(c: MetricCriterion): string {
  const parts = [c.min != null ? `minimum ${fmt(c.min)}` : null, c.max != null ? `maximum ${fmt(c.max)}` : null].filter((p) => p !== null);
  return parts.length > 0 ? `its ${parts.join(' and ')}` : 'its limits (none set)';
}

function testLabel(t: Test): string {
  if (t.name === 'mann-whitney-u') return `Mann–Whitney U = ${fmt(t.statistic)}`;
  if (t.name === 'two-proportion-z') return `two-proportion z = ${fmt(t.statistic)}`;
  return "Fisher's exact test";
}

function fmtEffect(kind: MetricSamples['kind'], effect: number): string {
  return kind === 'rate' ? `${fmt(effect * 100)} percentage ${Math.abs(effect * 100) === 1 ? 'point' : 'points'}` : `${fmt(effect * 100)} %`;
}

/** Three significant digits, without exponent noise for ordinary sizes. */
export function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

function fmtP(p: number): string {
  return p < 0.0001 ? '< 0.0001' : `= ${Number(p.toPrecision(2))}`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
