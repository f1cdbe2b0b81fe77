/**
 * An analysis as operators write it in a release spec, and the catalogue of signals it may
 * name. Owned by the analysis domain; the HTTP API builds its request schemas on these schemas
 * (as it does on `rollout/checks.ts`). `criteriaOf` turns a parsed spec into the judge's
 * criteria, filling defaults from the catalogue, and refuses unknown metrics with a coded error.
 */
import { z } from 'zod';
import { HandoffError } from '../core/errors.js';
import { closest } from '../core/validation.js';
import { WebhookCheckSchema, type WebhookCheck } from '../rollout/checks.js';
import type { BadDirection, MetricCriterion } from './judge/model.js';

export interface SignalInfo {
  /** Rates are events out of trials; distributions are samples compared by their median. */
  kind: 'rate' | 'distribution';
  /** Which way is worse, used by `compare: auto`. */
  badDirection: BadDirection;
  /** The effect bound `compare: auto` uses: a rate difference, or a relative shift of the median. */
  maxEffect: number;
  description: string;
}

/** The signals Handoff collects itself for every build. */
export const SignalCatalogue = {
  crash_rate: { kind: 'rate', badDirection: 'increase', maxEffect: 0.01, description: 'server processes that crashed, per server started' },
  abnormal_exit_rate: { kind: 'rate', badDirection: 'increase', maxEffect: 0.01, description: 'server processes that exited without being asked to stop (any exit code), per server started' },
  health_failure_rate: { kind: 'rate', badDirection: 'increase', maxEffect: 0.01, description: 'servers that missed their health deadline, per server started' },
  start_failure_rate: { kind: 'rate', badDirection: 'increase', maxEffect: 0.01, description: 'servers that never became ready, per server started' },
  abnormal_close_rate: { kind: 'rate', badDirection: 'increase', maxEffect: 0.01, description: 'sessions the game closed with an abnormal reason (through the SDK), per session closed' },
  session_length_seconds: { kind: 'distribution', badDirection: 'decrease', maxEffect: 0.1, description: 'length of each closed session, in seconds' },
  allocation_failure_rate: { kind: 'rate', badDirection: 'increase', maxEffect: 0.01, description: 'allocation requests answered with an error, per allocation request' },
  allocation_latency_ms: { kind: 'distribution', badDirection: 'increase', maxEffect: 0.1, description: 'time to answer each allocation request, in milliseconds' },
} as const satisfies Record<string, SignalInfo>;

export type BuiltInSignal = keyof typeof SignalCatalogue;
export const BuiltInSignals = Object.keys(SignalCatalogue) as BuiltInSignal[];

/**
 * A game-reported metric (`sdk.metric(name, value)`): `custom.` and a name of lower-case
 * letters, digits and `_`, dot-separated segments allowed (`custom.tick_ms`, `custom.match.errors`),
 * at most 64 characters — safe in URLs, Prometheus label values and log lines.
 */
export const CUSTOM_METRIC_PATTERN = /^custom\.[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;
const CUSTOM_METRIC_MAX_LENGTH = 64;

/** Custom metrics are samples (per-session values, gauge readings); more is taken to be worse. */
const CustomSignal: SignalInfo = { kind: 'distribution', badDirection: 'increase', maxEffect: 0.1, description: 'a metric the game reports through the SDK' };

/** What the catalogue says about a metric name; null for a name Handoff does not know. */
export function signalInfo(metric: string): (SignalInfo & { builtIn: boolean }) | null {
  if (Object.hasOwn(SignalCatalogue, metric)) return { ...SignalCatalogue[metric as BuiltInSignal], builtIn: true };
  if (metric.length <= CUSTOM_METRIC_MAX_LENGTH && CUSTOM_METRIC_PATTERN.test(metric)) return { ...CustomSignal, builtIn: false };
  return null;
}

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_MIN_SAMPLES = 20;
export const DEFAULT_WINDOW_SECONDS = 300;

export interface MetricSpec {
  metric: string;
  max?: number;
  min?: number;
  /** `auto`: the catalogue's bad direction and effect bound, alpha 0.05. */
  compare?: 'auto' | { badDirection?: BadDirection; alpha: number; maxEffect?: number };
  minSamples: number;
}

export interface PrometheusQuery {
  /** Names the result (`prometheus.NAME`) in verdicts. */
  name: string;
  /** A PromQL instant query returning one number (a scalar, or a vector with one sample). */
  query: string;
  max?: number;
  min?: number;
  /** The Prometheus server's base URL; default: the control plane's configured one. */
  address?: string;
  timeoutSeconds: number;
}

export interface AnalysisSpec {
  /** How far back the samples reach: the canary and the baseline over the same window. */
  windowSeconds: number;
  metrics: MetricSpec[];
  prometheus: PrometheusQuery[];
  webhook?: WebhookCheck;
}

const bounds = <T extends { max?: number | undefined; min?: number | undefined }>(v: T) => v.min === undefined || v.max === undefined || v.min <= v.max;

export const MetricSpecSchema = z
  .strictObject({
    // Any string here: an unknown name is refused by criteriaOf with ANALYSIS_UNKNOWN_METRIC.
    metric: z.string().min(1).max(100),
    max: z.number().optional(),
    min: z.number().optional(),
    compare: z
      .union([
        z.literal('auto'),
        z.strictObject({
          badDirection: z.enum(['increase', 'decrease']).optional(),
          alpha: z.number().gt(0).lt(1).default(DEFAULT_ALPHA),
          maxEffect: z.number().nonnegative().optional(),
        }),
      ])
      .optional(),
    minSamples: z.number().int().min(1).max(1_000_000).default(DEFAULT_MIN_SAMPLES),
  })
  .refine(bounds, { message: 'min must not be above max', path: ['min'] })
  .refine((m) => m.max !== undefined || m.min !== undefined || m.compare !== undefined, { message: 'give max, min or compare: a metric with none of them can only pass' }) satisfies z.ZodType<MetricSpec, unknown>;

export const PrometheusQuerySchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _, starting with a letter'),
    query: z.string().min(1).max(4000),
    max: z.number().optional(),
    min: z.number().optional(),
    address: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
    timeoutSeconds: z.number().int().min(1).max(60).default(10),
  })
  .refine(bounds, { message: 'min must not be above max', path: ['min'] })
  .refine((q) => q.max !== undefined || q.min !== undefined, { message: 'give max or min: the query result is judged against them' }) satisfies z.ZodType<PrometheusQuery, unknown>;

/** The fields of an analysis, for schemas that add their own (a background analysis's interval). */
export const analysisSpecFields = {
  windowSeconds: z.number().int().min(10).max(86_400).default(DEFAULT_WINDOW_SECONDS),
  metrics: z.array(MetricSpecSchema).max(50).default([]),
  prometheus: z.array(PrometheusQuerySchema).max(20).default([]),
  webhook: WebhookCheckSchema.optional(),
};

/** The checks every analysis schema applies to those fields. */
export function withAnalysisChecks<T extends z.ZodType<AnalysisSpec, unknown>>(schema: T): T {
  return schema
    .refine((a) => a.metrics.length + a.prometheus.length > 0 || a.webhook !== undefined, { message: 'an analysis needs at least one metric, Prometheus query or webhook' })
    .refine((a) => new Set(a.metrics.map((m) => m.metric)).size === a.metrics.length, { message: 'each metric may appear once', path: ['metrics'] })
    .refine((a) => new Set(a.prometheus.map((q) => q.name)).size === a.prometheus.length, { message: 'each Prometheus query name may appear once', path: ['prometheus'] });
}

export const AnalysisSpecSchema = withAnalysisChecks(z.strictObject(analysisSpecFields)) satisfies z.ZodType<AnalysisSpec, unknown>;

/** Refuses a metric the catalogue does not know, before anything is applied. */
export function validateAnalysis(spec: AnalysisSpec): void {
  spec.metrics.forEach((m, i) => {
    if (signalInfo(m.metric)) return;
    const suggestion = closest(m.metric, BuiltInSignals);
    throw new HandoffError(
      'ANALYSIS_UNKNOWN_METRIC',
      `metrics[${i}].metric: ${JSON.stringify(m.metric)} is not a signal Handoff collects${suggestion ? ` (did you mean ${suggestion}?)` : ''}; use one of ${BuiltInSignals.join(', ')}, or custom.NAME for a metric the game reports through the SDK`,
      { metric: m.metric, path: `metrics[${i}].metric`, suggestion, known: [...BuiltInSignals, 'custom.<name>'] },
    );
  });
}

/** The judge's criteria for a parsed spec, defaults filled from the catalogue. Validates first. */
export function criteriaOf(spec: AnalysisSpec): MetricCriterion[] {
  validateAnalysis(spec);
  return spec.metrics.map((m) => {
    const info = signalInfo(m.metric)!;
    const c: { badDirection?: BadDirection; alpha: number; maxEffect?: number } | undefined = m.compare === 'auto' ? { alpha: DEFAULT_ALPHA } : m.compare;
    return {
      metric: m.metric,
      max: m.max ?? null,
      min: m.min ?? null,
      compare: c ? { badDirection: c.badDirection ?? info.badDirection, alpha: c.alpha, maxEffect: c.maxEffect ?? info.maxEffect } : null,
      minSamples: m.minSamples,
    };
  });
}
