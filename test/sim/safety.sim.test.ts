import { describe, expect, it } from 'vitest';
import { runSafety } from '../../src/sim/safety.js';
import { BASE_SEED } from './support.js';

const SCENARIOS = [
  'blue-green: control-plane restart in Draining',
  'rolling with no spare capacity: abort in Progressing',
  'canary in weight steps: release',
  'maintenance window: release',
];

/**
 * The small version of the session-safety campaign (`npm run bench` runs a longer one, and
 * `--full` the eight-nines one): a release of each family — blue-green with a control-plane
 * restart while draining, rolling aborted mid-way, a canary in weight steps, a maintenance
 * window — on the real planners, allocator and store, and not one player may be cut off without
 * notice.
 */
describe('the session-safety campaign, small', () => {
  it('plays every session of its runs to the end or with notice: 0 interruptions', async () => {
    const ran = new Set<string>();
    const report = await runSafety({
      sessions: Infinity, budgetMs: 25_000, baseSeed: BASE_SEED, only: SCENARIOS,
      onRun: (name) => ran.add(name),
    });
    expect([...ran].sort()).toEqual([...SCENARIOS].sort());
    expect(report.sessions).toBeGreaterThan(0);
    expect(report.examples).toEqual([]);
    expect(report.interruptions).toBe(0);
  }, 60_000);
});
