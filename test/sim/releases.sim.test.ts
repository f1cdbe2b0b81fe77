import { describe, it, vi } from 'vitest';
import { scenariosFor } from '../../src/sim/matrix.js';
import { runScenario } from '../../src/sim/runner.js';
import { rows, situations } from '../../src/sim/rows.js';
import { resetIds } from './seeded-ids.js';
import { BASE_SEED, expectClean } from './support.js';

// Seeded ids: the allocator and planners break ties by id, so a seed replays exactly.
vi.mock('../../src/core/ids.js', () => import('./seeded-ids.js'));

/**
 * The real control plane (planners, allocator, reconciler, SQLite store) on a fake clock, with
 * simulated game servers and players: every strategy row released alone, aborted in each phase
 * and at a random moment. The monitor fails a run on any session closed without notice, any
 * server stopped under a player, any slot given twice, any party split it could have kept, any
 * new session off the routing, or a release that ends other than expected.
 */
describe('releases in the fake-clock simulation', () => {
  const scenarios = [
    ...rows.flatMap((row) => scenariosFor(row, { baseSeed: BASE_SEED }, ['release', 'abort', 'random-abort'])),
    ...situations.flatMap((row) => scenariosFor(row, { baseSeed: BASE_SEED }, ['release'])),
  ];
  it.each(scenarios.map((s) => [s.name, s] as const))('%s: no player is cut off without notice', async (_name, scenario) => {
    resetIds(scenario.seed);
    expectClean(await runScenario(scenario));
  });
});
