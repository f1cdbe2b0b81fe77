/**
 * Canary. A share of new sessions goes to the new build in steps;
 * two players are in an allow-list cohort and go to the canary whatever the weight; the demo
 * holds the last pause for a few seconds of play, then promotes, as an operator would.
 * `--canary-servers in-place`: one old server leaves rotation and, once empty, is replaced by the
 * canary server, so the fleet never runs more servers than its max.
 */
import { duration, num, phaseOf, playersOnBothBuilds, weightSteps } from './figures.js';
import type { CanaryServerMode } from '../options.js';
import type { RolloutRecord, Scenario } from './types.js';

/** How long the demo lets players play at a pause that waits for `promote`. */
const HOLD_MS = 5_000;
const COHORT_SIZE = 2;

/** A rollout waiting for an operator's `promote` (phase names as the issue and blue-green use them). */
export function awaitsPromotion(r: RolloutRecord): boolean {
  const phase = phaseOf(r);
  const status = r['progressState'];
  const flagged = typeof status === 'object' && status !== null && (status as Record<string, unknown>)['awaitingPromotion'] === true;
  return phase === 'AwaitingPromotion' || phase === 'Paused' || flagged;
}

export function canaryScenario(servers: CanaryServerMode = 'new'): Scenario {
  let pausedSince: number | null = null;
  const where = servers === 'in-place' ? ' (in place: one old server replaced once empty)' : '';
  return {
    strategy: 'canary',
    landed: true,
    headline: `canary${where}: 20% of new sessions, 5 s pause, 50% until promoted, then 100%; players sim-1…sim-${COHORT_SIZE} always on the canary`,
    request: (env) => ({
      fleet: env.fleet, build: env.toBuild, strategy: 'canary',
      steps: [{ setWeight: 20 }, { pause: { seconds: 5 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
      cohort: { players: env.playerIds.slice(0, COHORT_SIZE) },
      smoke: { kind: 'http', port: 'game', path: '/healthz' },
      drain: { deadlineSeconds: 60, noticeLeadSeconds: 57 }, oldIdleSeconds: 2,
      ...(servers === 'in-place' ? { servers: 'in-place', inPlaceServers: 1 } : {}),
    }),
    timeoutMs: () => 240_000,
    async step(ctx, rollout) {
      if (!awaitsPromotion(rollout)) {
        pausedSince = null;
        return;
      }
      pausedSince ??= ctx.now();
      if (ctx.now() - pausedSince < HOLD_MS) return;
      ctx.say(`▶ promote ${ctx.rolloutId}: the canary looks healthy, continue its steps`);
      await ctx.api.call('POST', `/v1/rollouts/${encodeURIComponent(ctx.rolloutId)}/promote`);
      pausedSince = null;
    },
    figures: ({ env, trace, sessions, startedAt, rollout }) => {
      const steps = weightSteps(trace, env.toBuild, startedAt);
      const full = steps.find((s) => s.weight >= 100);
      const splitEnd = full ? startedAt + full.afterMs : (num(rollout, 'completedAt') ?? Number.POSITIVE_INFINITY);
      // Within one weight step, a player must keep one build (a step may move players, the issue leaves that open).
      const sticky = new Set<string>();
      steps.forEach((s, i) => {
        const from = startedAt + s.afterMs;
        const to = Math.min(splitEnd, startedAt + (steps[i + 1]?.afterMs ?? Number.POSITIVE_INFINITY));
        if (s.weight > 0 && s.weight < 100) for (const p of playersOnBothBuilds(sessions, from, to)) sticky.add(p);
      });
      const cohort = new Set(env.playerIds.slice(0, COHORT_SIZE));
      const cohortSessions = sessions.filter((s) => cohort.has(s.playerId) && s.openedAt >= startedAt && s.openedAt < splitEnd);
      const cohortOnCanary = cohortSessions.filter((s) => s.build === env.toBuild).length;
      return [
        {
          key: 'weightSteps', label: 'canary weight steps', value: steps,
          text: steps.map((s) => `${s.weight}% (+${duration(s.afterMs)})`).join(' → ') || 'none seen',
        },
        { key: 'playersOnBothBuilds', label: 'players on both builds', value: [...sticky].sort(), text: `${sticky.size} within a weight step (assignment is sticky)` },
        { key: 'cohortOnCanary', label: 'cohort on the canary', value: { sessions: cohortSessions.length, onCanary: cohortOnCanary }, text: `${cohortOnCanary} of ${cohortSessions.length} cohort sessions` },
      ];
    },
  };
}
