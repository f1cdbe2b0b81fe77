/**
 * Blue-green: start the new build beside the old, smoke-check it, switch new sessions over at
 * once, let the old build empty and retire it. Players still on the old build get a drain
 * notice and, at the deadline, a migration (the arena shows both).
 */
import { between, lastClose, msFigure, num } from './figures.js';
import type { Scenario } from './types.js';

export function blueGreenScenario(): Scenario {
  return {
    strategy: 'blue-green',
    landed: true,
    headline: 'blue-green, smoke check GET /healthz, old servers retired 2 s after they empty',
    request: (env) => ({
      fleet: env.fleet, build: env.toBuild, strategy: 'blue-green', autoPromote: true,
      smoke: { kind: 'http', port: 'game', path: '/healthz' },
      // Announce a deadline to players still on the old build (the arena shows it); migrate stragglers at 60 s.
      drain: { deadlineSeconds: 60, noticeLeadSeconds: 57 }, oldIdleSeconds: 2,
    }),
    // Start, smoke check, the 60 s drain deadline, then the 2 s idle retirement, with room to spare.
    timeoutMs: () => 180_000,
    figures: ({ rollout, sessions, env, players }) => {
      const switchedAt = num(rollout, 'switchedAt');
      return [
        msFigure('readyToSwitchMs', 'ready → switch', between(num(rollout, 'readyAt'), switchedAt)),
        msFigure('oldBuildEmptyMs', 'switch → old build empty', between(switchedAt, lastClose(sessions, env.fromBuild))),
        msFigure('switchToRetiredMs', 'switch → old build retired', between(switchedAt, num(rollout, 'completedAt'))),
        { key: 'drainNoticesShown', label: 'drain notices shown', value: players.drainNotices, text: String(players.drainNotices) },
      ];
    },
  };
}
