/**
 * Schemas of release plans (`kind: ReleasePlan`, `/v1/releases`) and fleet endpoints. A step
 * is a rollout start request — the strategy and its options from the strategy registry, as
 * `POST /v1/rollouts` takes them — plus its name, `after` and `gate`.
 */
import { z } from 'zod';
import { Verdicts } from '../analysis/judge/model.js';
import { AnalysisSpecSchema } from '../analysis/spec.js';
import { FailurePolicies, ReleasePhases, StepPhases, type ReleasePlanSpec } from '../release/model.js';
import { WebhookCheckSchema } from '../rollout/checks.js';
import type { RolloutSpec } from '../rollout/model.js';
import { commonRolloutOptions } from '../rollout/background.js';
import { strategies, strategyNames } from '../rollout/strategies/index.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, . _ -; at most 63 characters');

const GateSchema = z.union([
  z.strictObject({ approval: z.literal(true) }),
  z.strictObject({ webhook: z.union([WebhookCheckSchema, z.strictObject({ name })]) }),
  /** Judges the new build of each step this one comes after against its previous build (unknown metrics: ANALYSIS_UNKNOWN_METRIC). */
  z.strictObject({ analysis: AnalysisSpecSchema }),
]);

const MetricSideSchema = z.object({ n: z.number(), value: z.number().nullable() });
/** One judged step of an analysis gate, with its numbers per metric (as a rollout's verdicts). */
const GateVerdictSchema = z.object({
  step: z.string(),
  fleet: z.string(),
  canary: z.string(),
  baseline: z.string(),
  verdict: z.enum(Verdicts),
  metrics: z.array(z.object({
    metric: z.string(),
    verdict: z.enum(Verdicts),
    canary: MetricSideSchema,
    baseline: MetricSideSchema,
    test: z.object({ name: z.string(), statistic: z.number(), pValue: z.number(), effect: z.number() }).nullable().optional(),
    reason: z.string(),
  })),
});

const stepCommon = {
  name,
  fleet: name,
  build: name,
  /** Steps that must have completed before this one starts. */
  after: z.array(name).max(50).default([]),
  /** Must pass before the step starts (once its `after` steps completed). */
  gate: GateSchema.nullable().default(null),
};

/** A step: its fields plus one strategy's options (blue-green when `strategy` is absent). */
export const ReleaseStepSchema = z.preprocess(
  (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) && !('strategy' in v) ? { ...v, strategy: 'blue-green' } : v),
  z.discriminatedUnion(
    'strategy',
    strategyNames.map((n) => z.strictObject({ ...stepCommon, strategy: z.literal(n), ...strategies[n].options, ...commonRolloutOptions })) as unknown as [z.ZodObject, ...z.ZodObject[]],
  ),
);

export const ReleasePlanSchema = z.strictObject({
  name,
  /** `stop`: halt at a failure. `rollback`: also release completed steps' fleets back, newest first. */
  failurePolicy: z.enum(FailurePolicies).default('stop'),
  /** Webhooks gates may name instead of repeating their URL. */
  webhooks: z.array(z.strictObject({ name, ...WebhookCheckSchema.shape })).max(50).default([]),
  steps: z.array(ReleaseStepSchema).min(1).max(50),
});
export type ReleasePlanRequest = z.output<typeof ReleasePlanSchema>;

/** The API's plan as the release domain takes it. */
export function toReleasePlan(body: ReleasePlanRequest): ReleasePlanSpec {
  return {
    name: body.name, failurePolicy: body.failurePolicy, webhooks: body.webhooks,
    steps: body.steps.map((raw) => {
      const { name: stepName, fleet, build, after, gate, ...spec } = raw as Record<string, unknown> & z.output<z.ZodObject<typeof stepCommon>>;
      return { name: stepName, fleet, build, after, gate, spec: spec as unknown as RolloutSpec };
    }),
  };
}

export const ApproveBodySchema = z.strictObject({ step: name.optional() });

export const ReleaseViewSchema = z.object({
  name: z.string(),
  phase: z.enum(ReleasePhases),
  message: z.string(),
  failurePolicy: z.enum(FailurePolicies),
  steps: z.array(z.object({
    name: z.string(),
    fleet: z.string(),
    build: z.string(),
    strategy: z.string(),
    after: z.array(z.string()),
    phase: z.enum(StepPhases),
    message: z.string(),
    gate: z.object({
      kind: z.enum(['approval', 'webhook', 'analysis']),
      /** `inconclusive`: an analysis gate waits for a person (approve passes it, abort stops). */
      state: z.enum(['waiting', 'checking', 'passed', 'failed', 'inconclusive']),
      detail: z.string(),
      at: z.number(),
      /** An analysis gate's window, overall verdict and one verdict per judged step, once judged. */
      analysis: z.object({ window: z.object({ since: z.number(), until: z.number() }), verdict: z.enum(Verdicts), verdicts: z.array(GateVerdictSchema) }).optional(),
    }).nullable(),
    rolloutId: z.string().nullable(),
    /** The build a rollback returns the fleet to. */
    fromBuild: z.string().nullable(),
    rollbackRolloutId: z.string().nullable(),
    startedAt: z.number().nullable(),
    completedAt: z.number().nullable(),
  })),
  completionOrder: z.array(z.string()),
  /** The plan as applied, defaults filled in. */
  spec: z.record(z.string(), z.unknown()),
  createdAt: z.number(),
  updatedAt: z.number(),
  finishedAt: z.number().nullable(),
});
export type ReleaseView = z.output<typeof ReleaseViewSchema>;

export const ReleaseApplyResultSchema = z.object({ result: z.enum(['created', 'unchanged']), release: ReleaseViewSchema });

export const EndpointsQuerySchema = z.strictObject({
  /**
   * Long-poll: with `If-None-Match` naming the current version, hold the request up to this long
   * (`30`, `30s` or `500ms`; at most 60 s) for the list to change; unchanged by then → 304.
   */
  wait: z.string().regex(/^\d+(ms|s)?$/, 'a duration: 30, 30s or 500ms').transform((v) => (v.endsWith('ms') ? Number(v.slice(0, -2)) : Number(v.replace(/s$/, '')) * 1000))
    .pipe(z.number().int().min(0).max(60_000, 'at most 60 s')).default(0),
});

export const EndpointsViewSchema = z.object({
  fleet: z.string(),
  /** Changes whenever the list changes; also the `ETag`. Send it back in `If-None-Match` (with `?wait=30s` to long-poll). */
  version: z.string(),
  endpoints: z.array(z.object({
    server: z.string(),
    address: z.string(),
    ports: z.record(z.string(), z.number()),
    build: z.string(),
    /** The build's share of new traffic in the routing table, 0-100. */
    weight: z.number(),
  })),
});
export type EndpointsView = z.output<typeof EndpointsViewSchema>;
