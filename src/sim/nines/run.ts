/**
 * The light session-safety simulator (issue 8, target 4): runs a case tick by tick, and a
 * campaign of cases until a session budget is spent. The heavy campaign (`src/sim/safety.ts`)
 * drives the whole control plane and plays tens of sessions per wall-clock second; this one
 * drives the same pure decision functions (release planners, fleet planner, allocator, abort and
 * promote) over a compact world, to reach the 3×10^8 sessions of the rule-of-three bound.
 */
import type { NinesCase, Planners, Tally } from './model.js';
import { Operator } from './operator.js';
import { reconcilePass } from './pass.js';
import { NinesSim, realPlanners } from './sim.js';

/** Gives up on a run after this much simulated time (a release stuck far beyond its own limits). */
const MAX_RUN_MS = 24 * 3_600_000;

export function runCase(c: NinesCase, planners: Planners = realPlanners): Tally {
  const sim = new NinesSim(c, planners);
  const operator = new Operator(sim);
  for (;;) {
    sim.now = sim.ends.tick * c.tickMs;
    sim.fire();
    sim.players();
    if (sim.cpUp) operator.tick();
    if (sim.cpUp) reconcilePass(sim);
    if (operator.finished || sim.now > MAX_RUN_MS) break;
  }
  if (!operator.finished) {
    sim.tally.unexpected += 1;
    sim.note('unexpected', 'the run did not finish');
  }
  sim.tally.runs = 1;
  sim.tally.simulatedMs = sim.now;
  return sim.tally;
}
