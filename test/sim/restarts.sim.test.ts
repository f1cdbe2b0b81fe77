import { describe, it, vi } from 'vitest';
import { scenariosFor } from '../../src/sim/matrix.js';
import { runScenario } from '../../src/sim/runner.js';
import { rows, situations } from '../../src/sim/rows.js';
import { resetIds } from './seeded-ids.js';
import { BASE_SEED, expectClean } from './support.js';

// Seeded ids: the allocator and planners break ties by id, so a seed replays exactly.
vi.mock('../../src/core/ids.js', () => import('./seeded-ids.js'));

/**
 * The same simulation, with the control plane restarted in each phase of each strategy row (its
 * game servers keep running and are re-adopted on the same store), and releases back to back:
 * v0 → v1 → v2 while v0 and v1 both still host sessions.
 */
describe('restarts and back-to-back releases in the fake-clock simulation', () => {
  const scenarios = [
    ...rows.flatMap((row) => scenariosFor(row, { baseSeed: BASE_SEED }, ['restart', 'back-to-back'])),
    ...situations.flatMap((row) => scenariosFor(row, { baseSeed: BASE_SEED }, ['restart', 'back-to-back'])),
  ];
  it.each(scenarios.map((s) => [s.name, s] as const))('%s: no player is cut off without notice', async (_name, scenario) => {
    resetIds(scenario.seed);
    expectClean(await runScenario(scenario));
  });
});
