/**
 * Maintenance window. A window is scheduled a little ahead; its
 * notice reaches the players at the lead time (the arena shows it), allocations stop at the start,
 * sessions left are closed with reason `maintenance`, servers restart on the new build, and
 * allocations resume. The downtime is planned, never an interruption.
 */
import { duration } from './figures.js';
import type { ReleaseEnv, Scenario } from './types.js';

const STARTS_IN_MS = 15_000;
const NOTICE_LEAD_SECONDS = 12;
const DURATION_SECONDS = 30;

export function windowOf(env: ReleaseEnv): { startsAt: number; endsAt: number } {
  const startsAt = env.now + STARTS_IN_MS;
  return { startsAt, endsAt: startsAt + DURATION_SECONDS * 1000 };
}

export function maintenanceScenario(): Scenario {
  return {
    strategy: 'maintenance',
    landed: true,
    headline: `maintenance window in ${STARTS_IN_MS / 1000} s for ${DURATION_SECONDS} s, notice ${NOTICE_LEAD_SECONDS} s ahead; servers restart on the new build`,
    request: (env) => ({
      fleet: env.fleet, build: env.toBuild, strategy: 'maintenance',
      startsAt: new Date(windowOf(env).startsAt).toISOString(), durationSeconds: DURATION_SECONDS, noticeLeadSeconds: NOTICE_LEAD_SECONDS,
    }),
    timeoutMs: () => STARTS_IN_MS + DURATION_SECONDS * 1000 + 120_000,
    figures: ({ env, sessions, players }) => {
      const { startsAt } = windowOf(env);
      // Allocations resume when the first session after the window's start opens.
      const resumed = sessions.filter((s) => s.openedAt >= startsAt).reduce<number | null>((m, s) => Math.min(m ?? s.openedAt, s.openedAt), null);
      const downtimeMs = resumed === null ? null : resumed - startsAt;
      const refusals = Object.entries(players.allocationErrors).map(([code, n]) => `${code}×${n}`).join(', ') || 'none';
      return [
        { key: 'plannedDowntimeMs', label: 'planned downtime', value: DURATION_SECONDS * 1000, text: duration(DURATION_SECONDS * 1000) },
        { key: 'downtimeMs', label: 'downtime (observed)', value: downtimeMs, text: `${duration(downtimeMs)} from the window's start to the first new session` },
        { key: 'allocationRefusals', label: 'allocations refused', value: players.allocationErrors, text: refusals },
      ];
    },
  };
}
