/**
 * Dynamic pool. The Arena docs' single deployment: as many
 * new-build servers as are running join the pool, new sessions prefer the newest build, and old
 * servers stop once they have been empty for the idle time (2 s here, 600 s by default).
 */
import { between, duration, retiredAt } from './figures.js';
import type { Scenario } from './types.js';

export function dynamicPoolScenario(): Scenario {
  return {
    strategy: 'dynamic-pool',
    landed: true,
    headline: 'dynamic pool: new-build servers join the pool (as many as run), new sessions prefer them, old servers stop 2 s after they empty',
    request: (env) => ({ fleet: env.fleet, build: env.toBuild, strategy: 'dynamic-pool', servers: 'match', oldIdleSeconds: 2 }),
    timeoutMs: () => 180_000,
    figures: ({ env, trace, sessions, startedAt }) => {
      // From the first moment a new-build server could take players, where did new sessions go?
      const readyAt = trace.find((s) => (s.servers[env.toBuild]?.['Ready'] ?? 0) + (s.servers[env.toBuild]?.['Active'] ?? 0) > 0)?.at ?? null;
      const after = readyAt === null ? [] : sessions.filter((s) => s.openedAt >= readyAt);
      const onNew = after.filter((s) => s.build === env.toBuild).length;
      const retired = retiredAt(trace, env.fromBuild, startedAt);
      return [
        { key: 'newSessionsOnNewBuild', label: 'new sessions on new build', value: { onNew, total: after.length }, text: `${onNew} of ${after.length} once it was Ready` },
        { key: 'oldBuildRetiredMs', label: 'old build retired after', value: between(startedAt, retired), text: duration(between(startedAt, retired)) },
      ];
    },
  };
}
