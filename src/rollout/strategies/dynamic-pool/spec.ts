import { z } from 'zod';
import { seconds } from '../../checks.js';
import { GentleMigrationSchema, type GentleMigration } from '../../migration.js';

/** The Arena pattern's default: older servers go after 10 minutes without a player. */
export const DEFAULT_POOL_OLD_IDLE_SECONDS = 600;

export interface DynamicPoolSpec {
  strategy: 'dynamic-pool';
  /** Servers of the new build that join the pool: a number, or `match` (as many as the old build runs). */
  servers: number | 'match';
  /** How long a server of an older build stays up once empty, while it is in the pool. */
  oldIdleSeconds: number;
  /** Give up when the new servers are not Ready within this time. */
  readyTimeoutSeconds: number;
  /** Give up when this many new-build servers fail to start (crash-loop guard). */
  maxStartFailures: number;
  /** Gentle migration of the sessions left on older builds; null: they end on their own. */
  migration: GentleMigration | null;
}

/** The options of a dynamic-pool release, with their defaults. */
export const dynamicPoolOptions = {
  servers: z.union([z.number().int().min(1).max(10_000), z.literal('match')]).default('match'),
  oldIdleSeconds: seconds.default(DEFAULT_POOL_OLD_IDLE_SECONDS),
  readyTimeoutSeconds: z.number().int().min(1).default(300),
  maxStartFailures: z.number().int().min(1).default(3),
  migration: GentleMigrationSchema.nullable().default(null),
};
