import { describe, expect, it, vi } from 'vitest';
import { runScenario } from '../../src/sim/runner.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { resetIds } from './seeded-ids.js';

vi.mock('../../src/core/ids.js', () => import('./seeded-ids.js'));

const scenario = (name: string, over: Partial<Scenario> = {}): Scenario => ({
  name, seed: 7, builds: ['v0', 'v1'], steps: [], arrivalsForMs: 90_000, expectPhases: [], ...over,
});
const run = (s: Scenario) => {
  resetIds(s.seed);
  return runScenario(s);
};

/** The simulation itself: it replays a seed exactly, and it does fail a run that breaks a promise. */
describe('the fake-clock simulation', () => {
  it('replays a seed exactly: the same scenario and seed give the same report, event for event', async () => {
    const s = scenario('replay', {
      steps: [
        { when: { atMs: 30_000 }, action: { do: 'release', build: 'v1', request: { strategy: 'blue-green', oldIdleSeconds: 10 } } },
        { when: { phase: 'Draining', afterMs: 10_000 }, action: { do: 'restart', downtimeMs: 5_000 } },
        { when: { randomMs: [0, 20_000] }, action: { do: 'kill', servers: 1 } },
      ],
      expectPhases: ['Completed'],
    });
    const [a, b] = [await run(s), await run(s)];
    expect(a.stats.allocations).toBeGreaterThan(20);
    expect(b).toEqual(a);
  });

  it('fails a run in which the API closes a playing player\'s session, as closed without notice', async () => {
    const report = await run(scenario('sabotage: close a session', { steps: [{ when: { atMs: 40_000 }, action: { do: 'close-session' } }] }));
    expect(report.violations.map((v) => v.kind)).toEqual(['closed-without-notice']);
  });

  it('fails a run in which a server hosting players is stopped', async () => {
    const report = await run(scenario('sabotage: stop a busy server', { steps: [{ when: { atMs: 40_000 }, action: { do: 'stop-busy' } }] }));
    expect(report.violations.map((v) => v.kind)).toContain('stopped-under-player');
    expect(report.violations.map((v) => v.kind)).toContain('stopped-with-open-session');
  });

  it('fails a run whose release ends other than the scenario expects', async () => {
    const report = await run(scenario('expectation', {
      steps: [{ when: { atMs: 30_000 }, action: { do: 'release', build: 'v1', request: { strategy: 'blue-green', oldIdleSeconds: 10 } } }],
      expectPhases: ['Aborted'],
    }));
    expect(report.violations.map((v) => v.detail)).toEqual([expect.stringMatching(/^release 1 ended Completed .*; expected Aborted$/)]);
  });
});
