import { z } from 'zod';
import { DrainDeadlineSchema, seconds, type DrainDeadline } from '../../checks.js';
import { CohortSchema, type Cohort } from '../cohort.js';
import { weight } from '../canary/spec.js';

export interface AbVariant {
  /** What operators call it (`promote --variant A`); null: its build's id. */
  name: string | null;
  build: string;
  /** Share of new sessions (0–100); the variants' weights sum to 100. */
  weight: number;
  /** Players sent to this variant whatever the weights (a segment). */
  cohort: Cohort | null;
}

export interface AbTestSpec {
  strategy: 'ab-test';
  /** Every build under test, the release's `build` among them; the fleet's current build is the baseline when listed. */
  variants: AbVariant[];
  /** After `promote --variant X`: close what is left on the other variants at a deadline, with notice. */
  drain: DrainDeadline | null;
  oldIdleSeconds: number | null;
  readyTimeoutSeconds: number;
  maxStartFailures: number;
}

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, . _ -; at most 63 characters');

/** The options of an A/B test, with their defaults. */
export const abTestOptions = {
  variants: z.array(z.strictObject({
    name: z.string().min(1).max(64).nullable().default(null),
    build: id,
    weight,
    cohort: CohortSchema.nullable().default(null),
  })).min(1).max(16),
  drain: DrainDeadlineSchema.nullable().default(null),
  oldIdleSeconds: seconds.nullable().default(null),
  readyTimeoutSeconds: z.number().int().min(1).default(300),
  maxStartFailures: z.number().int().min(1).default(3),
};

export function variantName(v: Pick<AbVariant, 'name' | 'build'>): string {
  return v.name ?? v.build;
}
