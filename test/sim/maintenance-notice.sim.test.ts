import { describe, expect, it } from 'vitest';
import { campaign, INTERRUPTIONS } from '../../src/sim/safety.js';
import { runScenario } from '../../src/sim/runner.js';

/**
 * Two seeds on which the campaign at base seed 1 saw sessions of one server closed as
 * `maintenance` with no notice before: that server came up just as the notice went out, and
 * the planner's one send reached it before its SDK watch was connected. Issue 6 promises every
 * session closed for maintenance was told of it first; the notice is now a standing one.
 */
describe('a maintenance window, on the seeds the campaign found', () => {
  it.each([
    { round: 6, name: 'maintenance window: release', seed: 3589357063 },
    { round: 16, name: 'maintenance window: back-to-back', seed: 272904069 },
  ])('$name (seed $seed) closes no session for maintenance without a notice before it: 0 interruptions', async ({ round, name, seed }) => {
    const scenario = campaign(round, 1).find((s) => s.name.includes(name));
    expect(scenario?.seed).toBe(seed);
    if (!scenario) return;
    const result = await runScenario(scenario);
    expect(result.stats.sessionsStarted).toBeGreaterThan(0);
    expect(result.stats.closedForMaintenance).toBeGreaterThan(0);
    expect(result.violations.filter((v) => INTERRUPTIONS.includes(v.kind))).toEqual([]);
  }, 60_000);
});
