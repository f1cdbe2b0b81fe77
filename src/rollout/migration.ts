/**
 * Gentle migration, the piece every strategy can use: once its trigger holds (a time after the
 * switch, or fewer than N players left on the old builds), the old servers get a `migrate`
 * notice with a deadline (the game shows its players a message); at the deadline the sessions
 * still open there are closed with reason `migrated`, and each player gets a migration token
 * that places their next allocation on the release's build, with their party, ahead of others.
 * The planner is `plan-migration.ts`; issuing and honouring tokens is the session domain's.
 */
import { z } from 'zod';
import { seconds, type DrainDeadline } from './checks.js';

export interface GentleMigration {
  /** Trigger: this many seconds after the switch. Null: no time trigger. */
  afterSeconds: number | null;
  /** Trigger: fewer than this many players left on the old builds. Null: no player trigger. */
  belowPlayers: number | null;
  /** Seconds from the notice to the deadline: how long players are warned. */
  noticeSeconds: number;
  /** How long a migration token is valid; its seat on the new build is held meanwhile. */
  tokenTtlSeconds: number;
}

export const DEFAULT_MIGRATION_NOTICE_SECONDS = 60;
export const DEFAULT_MIGRATION_TOKEN_TTL_SECONDS = 120;

export const GentleMigrationSchema = z
  .strictObject({
    afterSeconds: seconds.nullable().default(null),
    belowPlayers: z.number().int().min(1).nullable().default(null),
    noticeSeconds: seconds.default(DEFAULT_MIGRATION_NOTICE_SECONDS),
    tokenTtlSeconds: z.number().int().min(10).max(86_400).default(DEFAULT_MIGRATION_TOKEN_TTL_SECONDS),
  })
  .refine((m) => m.afterSeconds !== null || m.belowPlayers !== null, {
    message: 'give a trigger: afterSeconds, belowPlayers or both',
    path: ['afterSeconds'],
  }) satisfies z.ZodType<GentleMigration, unknown>;

/**
 * Blue-green's `drain` deadline as a gentle migration: the notice goes out `noticeLeadSeconds`
 * before a deadline `deadlineSeconds` after the switch (at once, if the lead is longer).
 */
export function migrationFromDrain(d: DrainDeadline): GentleMigration {
  const noticeSeconds = Math.min(d.noticeLeadSeconds, d.deadlineSeconds);
  return {
    afterSeconds: d.deadlineSeconds - noticeSeconds,
    belowPlayers: null,
    noticeSeconds,
    tokenTtlSeconds: DEFAULT_MIGRATION_TOKEN_TTL_SECONDS,
  };
}
