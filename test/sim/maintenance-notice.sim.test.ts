import { describe, expect, it } from 'vitest';
import { campaign, INTERRUPTIONS } from '../../src/sim/safety.js';
import { runScenario } from '../../src/sim/runner.js';

/**
 * Round 6 of the campaign at base seed 1 played the maintenance window (scenario seed
 * 3589357063) and saw one server's sessions closed as `maintenance` with no notice before.
 * Issue 6 promises every session on a server closed for maintenance had a notice first.
 */
describe('a maintenance window, on the seed the campaign found', () => {
  it('closes no session for maintenance without a notice before it: 0 interruptions', async () => {
    const scenario = campaign(6, 1).find((s) => s.name.includes('maintenance window: release'));
    expect(scenario?.seed).toBe(3589357063);
    if (!scenario) return;
    const result = await runScenario(scenario);
    expect(result.stats.sessionsStarted).toBeGreaterThan(0);
    expect(result.stats.closedForMaintenance).toBeGreaterThan(0);
    expect(result.violations.filter((v) => INTERRUPTIONS.includes(v.kind))).toEqual([]);
    expect(result.violations).toEqual([]);
  }, 60_000);
});
