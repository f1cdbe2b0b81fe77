/**
 * Runs a release's metrics analysis once its window has passed: the canary's and the baseline's
 * signals over the same window go to the judge, and the analysis's webhook (if any) adds its
 * answer as one more result, and each Prometheus query its own (`prometheus.NAME`). The service stores the verdict on the rollout; this file only
 * decides it, from what its dependencies return.
 */
import { judge, overallVerdict } from '../analysis/judge/judge.js';
import type { AnalysisResult, MetricResult, MetricSamples } from '../analysis/judge/model.js';
import { runPrometheusQuery } from '../analysis/providers/prometheus.js';
import { criteriaOf, type PrometheusQuery } from '../analysis/spec.js';
import { callWebhook } from '../analysis/webhook.js';
import { egressPolicy, type EgressPolicy } from '../net/egress.js';
import { event } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import type { WebhookCheck } from './checks.js';
import { isTerminalPhase, type AnalysisRecord, type Rollout } from './model.js';
import type { MetricsCheck } from './strategy.js';

export interface AnalysisDeps {
  samplesFor(fleet: string, canary: string, baseline: string, since: number, until: number): Record<string, MetricSamples | undefined>;
  webhook(check: WebhookCheck, payload: Record<string, unknown>): Promise<{ passed: boolean; detail: string }>;
  /** One Prometheus query judged at `time` (Unix seconds): the window's end. */
  prometheus(query: PrometheusQuery, time: number): Promise<MetricResult>;
}

/**
 * The dependencies every analysis runs with: the signal service's samples (none without one:
 * every metric inconclusive, never a pass), the webhook client and the Prometheus provider.
 * Shared by the rollout service's analysis steps and release plans' analysis gates.
 */
export function analysisDepsOf(signals: Pick<AnalysisDeps, 'samplesFor'> | undefined, prometheusUrl: string | null, policy: EgressPolicy = egressPolicy()): AnalysisDeps {
  return {
    samplesFor: (...a) => signals?.samplesFor(...a) ?? {},
    webhook: (check, payload) => callWebhook(check, payload, policy),
    prometheus: (q, time) => runPrometheusQuery(q, { address: prometheusUrl, time, policy }),
  };
}

const none = { n: 0, value: null };

export async function runMetricsAnalysis(fleet: string, check: MetricsCheck, deps: AnalysisDeps): Promise<AnalysisResult> {
  const { analysis, window } = check;
  const results: MetricResult[] = judge(criteriaOf(analysis), deps.samplesFor(fleet, check.canary, check.baseline, window.since, window.until)).metrics;
  if (analysis.webhook) {
    // The gate sees what the judge found, so an outside suite can weigh it in its answer.
    const judged = results.map((m) => ({ metric: m.metric, verdict: m.verdict, canary: m.canary, baseline: m.baseline }));
    const o = await deps.webhook(analysis.webhook, { ...check.payload, window, metrics: judged }).catch((e: unknown) => ({ passed: false, detail: String(e) }));
    results.push({ metric: 'webhook', verdict: o.passed ? 'pass' : 'fail', canary: none, baseline: none, test: null, reason: `webhook ${o.passed ? 'passed' : 'failed'}: ${o.detail}.` });
  }
  // Evaluated at the window's end, so a verdict re-run after a restart sees the same instant.
  const at = Math.floor(window.until / 1000);
  results.push(...(await Promise.all(analysis.prometheus.map((q) => deps.prometheus(q, at)))));
  return { verdict: overallVerdict(results), metrics: results };
}

/** The run, with anything that threw (a bug, a provider's surprise) as an inconclusive verdict: never a pass, never lost. */
export function runMetricsAnalysisSafely(fleet: string, check: MetricsCheck, deps: AnalysisDeps): Promise<AnalysisResult> {
  return runMetricsAnalysis(fleet, check, deps).catch((e: unknown): AnalysisResult => ({
    verdict: 'inconclusive',
    metrics: [{ metric: 'analysis', verdict: 'inconclusive', canary: none, baseline: none, test: null, reason: `The analysis could not run: ${String(e)}` }],
  }));
}

/**
 * The rollout with the verdict stored (in `analyses`, and as the step's check outcome in
 * `smoke`), and its `rollout.verdict` event. Null when the verdict is for a step the release has
 * left (aborted meanwhile, or a stale run): then it changes nothing.
 */
export function withVerdict(r: Rollout, check: MetricsCheck, result: AnalysisResult, now: number): { rollout: Rollout; event: Mutation } | null {
  if (isTerminalPhase(r.phase) || r.smoke?.state !== 'running' || r.smoke.startedAt !== check.window.since) return null;
  const state = result.verdict === 'pass' ? 'passed' : result.verdict === 'fail' ? 'failed' : 'inconclusive';
  const summary = verdictSummary(result);
  const record: AnalysisRecord = { step: check.label, kind: 'step', verdict: result.verdict, result, window: check.window, canary: check.canary, baseline: check.baseline, at: now };
  const rollout: Rollout = { ...r, smoke: { ...r.smoke, state, finishedAt: now, detail: summary }, analyses: [...(r.analyses ?? []), record], updatedAt: now };
  return { rollout, event: verdictEvent(r, record, now) };
}

/** The `rollout.verdict` event of a stored verdict: webhooks hear each metric's figures and p-value. */
export function verdictEvent(r: Pick<Rollout, 'id' | 'fleet'>, record: AnalysisRecord, now: number): Mutation {
  const { result, step } = record;
  const figures = result.metrics.map((m) => ({ metric: m.metric, verdict: m.verdict, canary: m.canary, baseline: m.baseline, pValue: m.test?.pValue ?? null }));
  const kind = record.kind ?? 'step';
  return event(now, r.fleet, 'rollout.verdict', r.id, `${step}: analysis ${verdictSummary(result)}`, { verdict: result.verdict, step, kind, metrics: figures });
}

/** One line for the rollout's message and `smoke.detail`: the verdict, then the reasons that decided it. */
export function verdictSummary(result: AnalysisResult): string {
  const deciding = result.metrics.filter((m) => m.verdict === result.verdict);
  return `${result.verdict}: ${(deciding.length > 0 ? deciding : result.metrics).map((m) => m.reason).join(' ')}`;
}
