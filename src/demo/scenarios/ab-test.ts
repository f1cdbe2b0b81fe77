/**
 * A/B test. Both builds serve side by side, players assigned by sticky
 * percentages; an A/B test never promotes itself, so after some play the demo chooses the new
 * build with `promote --variant`, as the studio would after reading the figures.
 */
import { duration, sessionsByBuild } from './figures.js';
import type { Scenario } from './types.js';

/** Play with both variants serving before the demo chooses one. */
const TEST_MS = 12_000;

export function abTestScenario(): Scenario {
  let bothSince: number | null = null;
  let chosen = false;
  return {
    strategy: 'ab-test',
    landed: true,
    headline: `A/B test, 50/50 sticky by player; after ${TEST_MS / 1000} s of play the demo chooses the new build (promote --variant)`,
    request: (env) => ({
      fleet: env.fleet, build: env.toBuild, strategy: 'ab-test',
      variants: [{ name: 'A', build: env.fromBuild, weight: 50 }, { name: 'B', build: env.toBuild, weight: 50 }],
      drain: { deadlineSeconds: 60, noticeLeadSeconds: 57 }, oldIdleSeconds: 2,
    }),
    timeoutMs: () => 240_000,
    async step(ctx, _rollout, trace) {
      if (chosen) return;
      const last = trace.at(-1);
      const both = last !== undefined && (last.weights[ctx.env.fromBuild] ?? 0) > 0 && (last.weights[ctx.env.toBuild] ?? 0) > 0;
      if (!both) return;
      bothSince ??= ctx.now();
      if (ctx.now() - bothSince < TEST_MS) return;
      ctx.say(`▶ promote ${ctx.rolloutId} --variant B (${ctx.env.toBuild})`);
      await ctx.api.call('POST', `/v1/rollouts/${encodeURIComponent(ctx.rolloutId)}/promote`, { variant: 'B' });
      chosen = true;
    },
    figures: ({ env, rollout, sessions, startedAt }) => {
      const byBuild = sessionsByBuild(sessions, startedAt);
      const variants = [{ name: 'A', build: env.fromBuild }, { name: 'B', build: env.toBuild }].map((v) => ({
        ...v, ...(byBuild[v.build] ?? { sessions: 0, meanLengthMs: null, abnormalCloses: 0 }),
      }));
      const status = rollout['progressState'];
      // The strategy's own per-variant figures (custom metrics through the SDK), when it reports them.
      const reported = typeof status === 'object' && status !== null ? (((status as Record<string, unknown>)['figures'] as Record<string, unknown> | undefined)?.['variants'] ?? null) : null;
      return [
        ...variants.map((v) => ({
          key: `variant${v.name}`, label: `variant ${v.name} (${v.build})`, value: v,
          text: `${v.sessions} sessions, mean ${duration(v.meanLengthMs)}, ${v.abnormalCloses} abnormal closes`,
        })),
        { key: 'reportedVariants', label: 'variants (rollout)', value: reported, text: reported === null ? 'not reported' : JSON.stringify(reported) },
      ];
    },
  };
}
