/**
 * Runs a release's metrics analysis once its window has passed: the canary's and the baseline's
 * signals over the same window go to the judge, and the analysis's webhook (if any) adds its
 * answer as one more result. The service stores the verdict on the rollout; this file only
 * decides it, from what its dependencies return.
 */
import { judge, overallVerdict } from '../analysis/judge/judge.js';
import type { AnalysisResult, MetricResult, MetricSamples } from '../analysis/judge/model.js';
import { criteriaOf } from '../analysis/spec.js';
import type { WebhookCheck } from './checks.js';
import type { MetricsCheck } from './strategy.js';

export interface AnalysisDeps {
  samplesFor(fleet: string, canary: string, baseline: string, since: number, until: number): Record<string, MetricSamples | undefined>;
  webhook(check: WebhookCheck, payload: Record<string, unknown>): Promise<{ passed: boolean; detail: string }>;
}

const none = { n: 0, value: null };

export async function runMetricsAnalysis(fleet: string, check: MetricsCheck, deps: AnalysisDeps): Promise<AnalysisResult> {
  const { analysis, window } = check;
  const results: MetricResult[] = judge(criteriaOf(analysis), deps.samplesFor(fleet, check.canary, check.baseline, window.since, window.until)).metrics;
  if (analysis.webhook) {
    const url = analysis.webhook.url;
    const o = await deps.webhook(analysis.webhook, { ...check.payload, window }).catch((e: unknown) => ({ passed: false, detail: String(e) }));
    results.push({ metric: 'webhook', verdict: o.passed ? 'pass' : 'fail', canary: none, baseline: none, test: null, reason: `${url}: ${o.detail}` });
  }
  for (const q of analysis.prometheus) {
    // Never a silent pass: a query this control plane cannot run leaves the verdict to a person.
    results.push({ metric: `prometheus.${q.name}`, verdict: 'inconclusive', canary: none, baseline: none, test: null, reason: 'Prometheus queries are not run by the release analysis yet.' });
  }
  return { verdict: overallVerdict(results), metrics: results };
}

/** One line for the rollout's message and `smoke.detail`: the verdict, then the reasons that decided it. */
export function verdictSummary(result: AnalysisResult): string {
  const deciding = result.metrics.filter((m) => m.verdict === result.verdict);
  return `${result.verdict}: ${(deciding.length > 0 ? deciding : result.metrics).map((m) => m.reason).join(' ')}`;
}
