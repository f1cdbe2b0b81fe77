/**
 * The gentle-migration step of a release, as a pure planner any strategy calls once its new
 * build takes the sessions (see `migration.ts` for the behaviour). It only ever migrates a server
 * it announced the move to, and never before the deadline it announced to that server: every
 * old server gets the notice when the trigger holds, and one that appears later (or never got
 * it) gets its own, with the full notice time.
 */
import type { Rollout } from './model.js';
import type { GentleMigration } from './migration.js';
import type { RolloutPlan, RolloutServer } from './strategy.js';

export type MigrationStep = Pick<RolloutPlan, 'patch' | 'notices' | 'migrate' | 'migrateTo'>;

type MigrationFields = Pick<Rollout, 'toBuild' | 'switchedAt' | 'drainNoticeAt' | 'migrationDeadline' | 'migratedAt'>;

/**
 * One step: the notices once the trigger holds, then the migration of each announced server
 * still hosting sessions at its deadline. `old` are the servers of the builds being left.
 */
export function planMigration(m: GentleMigration | null, r: MigrationFields, old: readonly RolloutServer[], now: number): MigrationStep {
  const step: MigrationStep = { patch: {}, notices: [], migrate: [], migrateTo: null };
  if (!m || r.switchedAt === null) return step;
  const announce = (servers: readonly RolloutServer[], deadline: number): void => {
    for (const s of servers) step.notices.push({ serverId: s.id, notice: { type: 'migrate', build: r.toBuild, deadline, at: now } });
  };
  if (r.drainNoticeAt === null) {
    const triggeredAt = triggerTime(m, r.switchedAt, old, now);
    if (triggeredAt === null) return step;
    // Counted from when the trigger held, not from this pass: a late pass does not shorten the warning owed.
    const deadline = triggeredAt + m.noticeSeconds * 1000;
    step.patch = { drainNoticeAt: now, migrationDeadline: deadline };
    announce(old, deadline);
    return step;
  }
  const deadline = deadlineOf(m, r, r.drainNoticeAt);
  announce(old.filter((s) => s.migrationDeadline == null), Math.max(deadline, now + m.noticeSeconds * 1000));
  step.migrate = old.filter((s) => s.used > 0 && s.migrationDeadline != null && now >= s.migrationDeadline).map((s) => s.id);
  if (step.migrate.length > 0) step.migrateTo = { build: r.toBuild, tokenTtlSeconds: m.tokenTtlSeconds };
  if (r.migratedAt === null && now >= deadline) step.patch = { migratedAt: now };
  return step;
}

/** When the trigger held (the time trigger's own instant once passed), or null if it does not yet. */
function triggerTime(m: GentleMigration, switchedAt: number, old: readonly RolloutServer[], now: number): number | null {
  const at = m.afterSeconds === null ? Infinity : switchedAt + m.afterSeconds * 1000;
  if (now >= at) return at;
  if (m.belowPlayers !== null && old.reduce((n, s) => n + s.used, 0) < m.belowPlayers) return now;
  return null;
}

/** The announced deadline; releases stored before it was recorded had only the time trigger. */
function deadlineOf(m: GentleMigration, r: MigrationFields, noticeAt: number): number {
  if (r.migrationDeadline != null) return r.migrationDeadline;
  if (m.afterSeconds !== null && r.switchedAt !== null) return r.switchedAt + (m.afterSeconds + m.noticeSeconds) * 1000;
  return noticeAt + m.noticeSeconds * 1000;
}
