import { z } from 'zod';
import { AnalysisSpecSchema, type AnalysisSpec } from '../../../analysis/spec.js';
import { DrainDeadlineSchema, SmokeCheckSchema, seconds, type DrainDeadline, type SmokeCheck } from '../../checks.js';
import { GentleMigrationSchema, migrationFromDrain, type GentleMigration } from '../../migration.js';

export interface BlueGreenSpec {
  strategy: 'blue-green';
  autoPromote: boolean;
  smoke: SmokeCheck | null;
  /** A migration deadline after the switch (the original form of `migration`'s time trigger). */
  drain: DrainDeadline | null;
  /** Gentle migration of the sessions left on the old build (absent on records before it existed). */
  migration?: GentleMigration | null;
  /** How long an emptied old-build server idles before it is stopped; null = the fleet's idle time. */
  oldIdleSeconds: number | null;
  /** Give up when the new build is not Ready within this time. */
  readyTimeoutSeconds: number;
  /** Give up when this many new-build servers fail to start (crash-loop guard). */
  maxStartFailures: number;
  /** Optional analyses (absent on records before them); see docs/analysis.md. */
  analysis?: BlueGreenAnalysis | null;
}

export interface BlueGreenAnalysis {
  /** The new build's servers, Ready and checked but taking no players, against the old build's, before the switch. */
  preSwitch: AnalysisSpec | null;
  /**
   * The new build, now taking every new session, against the old build's sessions finishing
   * over the same window after the switch. The old build is not retired before the verdict.
   */
  postSwitch?: AnalysisSpec | null;
}

/** The options of a blue-green release, with their defaults. */
export const blueGreenOptions = {
  autoPromote: z.boolean().default(true),
  smoke: SmokeCheckSchema.nullable().default(null),
  drain: DrainDeadlineSchema.nullable().default(null),
  migration: GentleMigrationSchema.nullable().default(null),
  oldIdleSeconds: seconds.nullable().default(null),
  readyTimeoutSeconds: z.number().int().min(1).default(300),
  maxStartFailures: z.number().int().min(1).default(3),
  analysis: z.strictObject({ preSwitch: AnalysisSpecSchema.nullable().default(null), postSwitch: AnalysisSpecSchema.nullable().default(null) }).nullable().default(null),
};

/** The release's gentle migration: `migration`, or the `drain` deadline in its terms. */
export function blueGreenMigration(spec: BlueGreenSpec): GentleMigration | null {
  return spec.migration ?? (spec.drain ? migrationFromDrain(spec.drain) : null);
}
