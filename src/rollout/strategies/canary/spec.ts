import { z } from 'zod';
import { AnalysisSpecSchema, type AnalysisSpec } from '../../../analysis/spec.js';
import {
  DrainDeadlineSchema, SmokeCheckSchema, WebhookCheckSchema, seconds, type DrainDeadline, type SmokeCheck, type WebhookCheck,
} from '../../checks.js';
import { CohortSchema, type Cohort } from '../cohort.js';
import { ServerBudgetSchema, type ServerBudget } from '../rolling/spec.js';

/**
 * A check between steps: a smoke check against one canary server, a webhook answering 2xx = pass,
 * or a metrics analysis: the canary's signals against the baseline's over `windowSeconds` from
 * the step's start, judged (pass → next step; fail → the release fails and new sessions go back
 * to the baseline; inconclusive → Paused until `promote` or `abort`).
 */
export type CanaryAnalysis = { smoke: SmokeCheck } | { webhook: WebhookCheck } | { metrics: AnalysisSpec };

export type CanaryStep =
  /** Share of *new sessions* (0–100) that go to the canary from now on. */
  | { setWeight: number }
  /** Wait `seconds`, or (no `seconds`) until an operator's `promote`. */
  | { pause: { seconds?: number } }
  | { analysis: CanaryAnalysis };

export interface CanarySpec {
  strategy: 'canary';
  /** In order; weights never decrease and the last step is `setWeight: 100`. */
  steps: CanaryStep[];
  /** Players sent to the canary whatever its weight, from the first step on. */
  cohort: Cohort | null;
  /** A smoke check against one canary server before any player is sent to it. */
  smoke: SmokeCheck | null;
  /** After the last step: close what is left on the old build at a deadline, with notice. */
  drain: DrainDeadline | null;
  oldIdleSeconds: number | null;
  readyTimeoutSeconds: number;
  maxStartFailures: number;
  /**
   * Where the canary runs: `new` servers started beside the old build's (the default), or
   * `in-place`: `inPlaceServers` of the old build's servers leave rotation and, once empty, are
   * replaced by canary servers, so the fleet never runs more servers than its maxServers.
   * Absent (releases stored before it existed): `new`.
   */
  servers?: 'new' | 'in-place';
  /** With `in-place`: how many old servers to replace, a count or a percentage of those running (rounded up). Default 1. */
  inPlaceServers?: ServerBudget;
}

export const weight = z.number().min(0, 'a weight is a share of new sessions, 0 to 100').max(100, 'a weight is a share of new sessions, 0 to 100');

const CanaryStepSchema = z.union([
  z.strictObject({ setWeight: weight }),
  z.strictObject({ pause: z.strictObject({ seconds: z.number().int().min(1).optional() }) }),
  z.strictObject({ analysis: z.union([z.strictObject({ smoke: SmokeCheckSchema }), z.strictObject({ webhook: WebhookCheckSchema }), z.strictObject({ metrics: AnalysisSpecSchema })]) }),
]);

/** The options of a canary release, with their defaults. */
export const canaryOptions = {
  steps: z.array(CanaryStepSchema).min(1).max(100),
  cohort: CohortSchema.nullable().default(null),
  smoke: SmokeCheckSchema.nullable().default(null),
  drain: DrainDeadlineSchema.nullable().default(null),
  oldIdleSeconds: seconds.nullable().default(null),
  readyTimeoutSeconds: z.number().int().min(1).default(300),
  maxStartFailures: z.number().int().min(1).default(3),
  servers: z.enum(['new', 'in-place']).default('new'),
  inPlaceServers: ServerBudgetSchema.default(1),
};

/** The steps a release runs: the spec's, after an initial smoke check when one is set. */
export function canarySteps(spec: Pick<CanarySpec, 'steps' | 'smoke'>): CanaryStep[] {
  return spec.smoke ? [{ analysis: { smoke: spec.smoke } }, ...spec.steps] : spec.steps;
}
