import { describe, expect, it, vi } from 'vitest';
import { runScenario } from '../../src/sim/runner.js';
import type { Scenario, ScenarioStep } from '../../src/sim/scenario.js';
import { resetIds } from './seeded-ids.js';
import { BASE_SEED, expectClean } from './support.js';

// Seeded ids: the allocator and planners break ties by id, so a seed replays exactly.
vi.mock('../../src/core/ids.js', () => import('./seeded-ids.js'));

/**
 * A release's background analysis in the fake-clock simulation (the real control plane, signal
 * service and store; simulated servers and players): a blue-green release — which has no
 * analysis step of its own here — of a build whose servers crash every half minute or so is
 * failed by the repeating background check while the old build still drains, before it could
 * complete. The monitor fails the run on any session closed without notice; players on the
 * crashing build lose their sessions to its crashes, which the stats count apart.
 */
const release: ScenarioStep = {
  when: { atMs: 30_000 },
  action: {
    do: 'release', build: 'v1',
    request: {
      strategy: 'blue-green', oldIdleSeconds: 30, maxStartFailures: 50,
      backgroundAnalysis: { intervalSeconds: 20, windowSeconds: 60, metrics: [{ metric: 'crash_rate', max: 0.2, minSamples: 3 }] },
    },
  },
};

const scenario = (name: string, steps: ScenarioStep[]): Scenario => ({
  name, seed: BASE_SEED * 7919 + name.length, builds: ['v0', 'v1'],
  buildArgs: { v1: ['--sim-crashes-per-hour=150'] },
  // Long sessions: the old build is still emptying when the verdict lands.
  workload: { sessionMedianSeconds: 240, maxSessionSeconds: 600 },
  steps, arrivalsForMs: 240_000, expectPhases: ['Failed'],
});

describe('background analysis in the fake-clock simulation', () => {
  it('fails a blue-green release of a crashing build before it completes, with no player cut off without notice', async () => {
    const s = scenario('blue-green of a crashing build under background analysis', [release]);
    resetIds(s.seed);
    const report = await runScenario(s);
    expectClean(report);
    expect(report.releases[0]?.message).toMatch(/^background #\d+ analysis failed: fail: .*crash_rate/);
    expect(report.events['rollout.failed']).toBe(1);
    expect(report.events['rollout.completed'] ?? 0).toBe(0);
    expect(report.fleet.currentBuild).toBe('v0');
  });

  it('fails it once across a control-plane restart during the release', async () => {
    const s = scenario('the same, with a restart while it drains', [release, { when: { phase: 'Draining', afterMs: 1_000 }, action: { do: 'restart', downtimeMs: 5_000 } }]);
    resetIds(s.seed);
    const report = await runScenario(s);
    expectClean(report);
    expect(report.stats.restarts).toBe(1);
    expect(report.releases[0]?.message).toMatch(/^background #\d+ analysis failed/);
    expect(report.events['rollout.failed']).toBe(1);
  });
});
