/**
 * Runs one scenario: the real control plane on a fake clock, simulated game servers and
 * players, the scenario's steps, and the monitor's checks all along. Time moves in fixed steps;
 * after each, every promise the step set off settles before anything is checked, so a run is a
 * function of its seed. The one real-time wait: a smoke check is a real command, and the clock
 * stands still until it answers (it takes no simulated time).
 */
import { FakeClock } from '../core/clock.js';
import { SeededRandom } from '../core/random.js';
import { isTerminalPhase } from '../rollout/model.js';
import { gameServerOn, gameServerProgram } from '../runtime/simulated/game-server.js';
import { SimulatedHost } from '../runtime/simulated/host.js';
import { SimControlPlane } from './control-plane.js';
import { Monitor, type Violation } from './monitor.js';
import { DEFAULT_WORKLOAD, Population } from './players.js';
import { DEFAULT_FLEET, UNRELIABLE_SERVERS, type Scenario, type ScenarioStep } from './scenario.js';
import { runAction } from './actions.js';
import { FLEET, routedBuilds, type Sim } from './context.js';
import type { SimStats } from './stats.js';

export interface SimReport {
  scenario: string;
  seed: number;
  violations: Violation[];
  stats: SimStats;
  releases: { id: string; toBuild: string; phase: string; message: string }[];
  /** How many of each control-plane event the run produced (server.unhealthy, server.crashed, rollout.aborted, …). */
  events: Record<string, number>;
  /** Builds with servers still up at the end, and the fleet's build. */
  fleet: { currentBuild: string; builds: string[] };
  simulatedMs: number;
  /** The monitor's last notes, for a failing run. */
  trace: string[];
}

/** Event-loop turns after each step: enough for a reconcile pass and its commits to finish. */
const SETTLE_TURNS = 8;

export async function runScenario(scenario: Scenario): Promise<SimReport> {
  const clock = new FakeClock();
  const random = new SeededRandom(scenario.seed);
  const monitor = new Monitor(clock);
  const host = new SimulatedHost({ clock, seed: random.fork('host').seed, defaultProgram: gameServerProgram({ ...UNRELIABLE_SERVERS, ...scenario.behaviour }) });
  const cp = new SimControlPlane({
    clock, host,
    log: (line) => (/reconcile error|exit handling failed|unexpected error|commit failed/.test(line) ? monitor.violation('control-plane-error', line) : monitor.note(line)),
    onFatal: (e) => monitor.violation('control-plane-error', `store failure: ${String(e)}`),
  });
  const workload = { ...DEFAULT_WORKLOAD, ...scenario.workload };
  const population = new Population({ clock, random: random.fork('players'), host, cp, monitor, fleet: FLEET }, workload);
  const stepMs = scenario.stepMs ?? 500;
  const steps: Steps = { pending: [...scenario.steps], due: null, previousAt: clock.now(), firing: false };
  const sim: Sim = {
    scenario, clock, random, host, cp, monitor, population, releases: [], routedBefore: new Map(), t0: clock.now(),
    step: async () => {
      clock.advance(stepMs);
      await settle(sim, steps);
    },
    latest: () => {
      const id = sim.releases[sim.releases.length - 1];
      return id === undefined || !cp.up ? undefined : cp.world.rollouts.get(id);
    },
    hosted: () => host.running().flatMap(({ serverId }) => {
      const game = gameServerOn(host, serverId);
      return game ? [{ serverId, players: game.playerIds() }] : [];
    }),
  };
  host.onSignal(({ serverId, signal, fromRuntime }) => {
    if (fromRuntime) monitor.onStopSignal(cp.up ? cp.world : null, serverId, signal, gameServerOn(host, serverId)?.playerIds().length ?? 0);
  });
  try {
    await cp.start();
    await setUp(sim);
    await play(sim, steps);
    await windDown(sim, steps, workload.maxSessionSeconds * 1000);
    return await report(sim);
  } finally {
    await cp.dispose();
  }
}

/** The scenario's steps still to run, and when the next one is due. */
interface Steps {
  pending: ScenarioStep[];
  due: number | null;
  previousAt: number;
  /** A step is running (a restart steps the clock itself): no other starts meanwhile. */
  firing: boolean;
}

/**
 * Lets what a step set off settle, turn by turn, running any scenario step that became due after
 * each turn: a phase that takes no simulated time (Verifying, while a smoke check runs) is still
 * seen, and an abort or a restart lands in it.
 */
async function settle(sim: Sim, steps: Steps): Promise<void> {
  for (let i = 0; i < SETTLE_TURNS; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await fireDue(sim, steps);
  }
}

async function fireDue(sim: Sim, steps: Steps): Promise<void> {
  if (steps.firing) return;
  steps.firing = true;
  try {
    for (let next = steps.pending[0]; next !== undefined; next = steps.pending[0]) {
      steps.due ??= dueAt(sim, next, steps.previousAt);
      if (steps.due === null || sim.clock.now() < steps.due) return;
      steps.pending.shift();
      checkPremise(sim, next);
      await runAction(sim, next.action);
      steps.previousAt = sim.clock.now();
      steps.due = null;
    }
  } finally {
    steps.firing = false;
  }
}

async function setUp(sim: Sim): Promise<void> {
  const { scenario, cp } = sim;
  const f = { ...DEFAULT_FLEET, ...scenario.fleet };
  const answer = await cp.apply({
    builds: scenario.builds.map((id, i) => ({
      id, version: `${i + 1}.0.0`, launch: { executable: 'game-server', args: scenario.buildArgs?.[id] ?? [] }, sessionsPerServer: f.sessionsPerServer,
    })),
    fleets: [{
      name: FLEET, build: scenario.builds[0], partyPolicy: f.partyPolicy, health: f.health,
      capacity: { minServers: f.minServers, maxServers: f.maxServers, bufferServers: f.bufferServers, idleTimeoutSeconds: f.idleTimeoutSeconds },
    }],
  });
  if (!answer.ok) throw new Error(`the scenario's fleet was refused: ${answer.code}`);
  // Warm up: the fleet's first servers boot before players come.
  while (sim.clock.now() - sim.t0 < 10_000) await sim.step();
  sim.population.start();
}

/** Players come and go while the steps run, until the arrivals end and every step has run. */
async function play(sim: Sim, steps: Steps): Promise<void> {
  const limit = sim.scenario.maxMs ?? sim.scenario.arrivalsForMs + 30 * 60_000;
  let waitingSince: number | null = null;
  while (steps.pending.length > 0 || sim.clock.now() - sim.t0 < sim.scenario.arrivalsForMs) {
    if (sim.clock.now() - sim.t0 > limit) {
      sim.monitor.violation('expectation', `step ${sim.scenario.steps.length - steps.pending.length + 1} (${steps.pending[0]?.action.do}) never became due`);
      break;
    }
    await sim.step();
    await waitForSmoke(sim, steps);
    sim.monitor.checkSlots(sim.cp.up ? sim.cp.world : null, sim.hosted());
    waitingSince = await operate(sim, waitingSince);
  }
  sim.population.stopArrivals();
}

/** When a step is due, once its trigger can say; null while it cannot yet. */
function dueAt(sim: Sim, step: ScenarioStep, previousAt: number): number | null {
  const w = step.when;
  if ('atMs' in w) return sim.t0 + w.atMs;
  if ('randomMs' in w) return previousAt + Math.round(sim.random.uniform(w.randomMs[0], w.randomMs[1]));
  return sim.latest()?.phase === w.phase ? sim.clock.now() + (w.afterMs ?? 0) : null;
}

function checkPremise(sim: Sim, step: ScenarioStep): void {
  if (!step.requires || !sim.cp.up) return;
  const hosting = new Set([...sim.cp.world.sessions.values()].map((s) => s.build));
  const missing = step.requires.hosting.filter((b) => !hosting.has(b));
  if (missing.length > 0) sim.monitor.violation('premise', `${step.action.do} was to run while ${step.requires.hosting.join(' and ')} host sessions; ${missing.join(', ')} hosted none`);
}

/** The clock stands still while a smoke check (a real command) runs. */
async function waitForSmoke(sim: Sim, steps: Steps): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (let r = sim.latest(); r?.phase === 'Verifying' && r.smoke?.state === 'running'; r = sim.latest()) {
    if (Date.now() > deadline) {
      sim.monitor.violation('expectation', `the smoke check of ${r.id} never finished`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
    // Timers due now still fire (time does not move): a restarted control plane's first pass is
    // the one that runs an interrupted smoke check again.
    sim.clock.advance(0);
    await settle(sim, steps);
  }
}

/** The operator: promotes a release that has waited for it long enough. Returns since when the latest has waited. */
async function operate(sim: Sim, waitingSince: number | null): Promise<number | null> {
  const operator = sim.scenario.operator;
  const r = sim.latest();
  // An A/B test runs (Progressing) until a person picks a variant: an operator with a variant waits for that too.
  const waiting = r?.phase === 'AwaitingPromotion' || r?.phase === 'Paused' || (r?.phase === 'Progressing' && Boolean(operator?.input?.variant));
  if (!operator || !r || !waiting) return null;
  const since = waitingSince ?? sim.clock.now();
  if (sim.clock.now() - since < operator.promoteAfterMs) return since;
  await runAction(sim, { do: 'promote', ...(operator.input ? { input: operator.input } : {}) });
  return null;
}

/** No more arrivals: everyone finishes (within the longest play time), the releases end, retired builds' servers stop. */
async function windDown(sim: Sim, steps: Steps, longestPlayMs: number): Promise<void> {
  const deadline = sim.clock.now() + longestPlayMs + 30 * 60_000;
  let waitingSince: number | null = null;
  while (!settled(sim)) {
    if (sim.clock.now() > deadline) {
      sim.monitor.violation('expectation', `the fleet did not settle: ${sim.population.active} players left, releases ${sim.releases.map((id) => sim.cp.world.rollouts.get(id)?.phase ?? 'gone').join(', ')}, servers of ${builds(sim).join(', ')}`);
      return;
    }
    await sim.step();
    await waitForSmoke(sim, steps);
    sim.monitor.checkSlots(sim.cp.world, sim.hosted());
    waitingSince = await operate(sim, waitingSince);
  }
  // Late deliveries (ends retried through a restart) land before the final checks.
  for (let i = 0; i < 20; i++) await sim.step();
}

function settled(sim: Sim): boolean {
  if (!sim.cp.up || sim.population.active > 0) return false;
  const { world } = sim.cp;
  if (sim.releases.some((id) => { const r = world.rollouts.get(id); return r !== undefined && !isTerminalPhase(r.phase); })) return false;
  const routed = routedBuilds(world.fleets.get(FLEET)?.routing);
  return builds(sim).every((b) => routed.includes(b));
}

function builds(sim: Sim): string[] {
  return [...new Set(sim.cp.world.fleetServers(FLEET).map((s) => s.build))].sort();
}

async function report(sim: Sim): Promise<SimReport> {
  const { cp, monitor, scenario } = sim;
  const store = cp.store;
  if (!store) throw new Error('the control plane is down at the end of the run');
  await monitor.finalChecks(cp.world, store);
  const releases: SimReport['releases'] = [];
  for (const id of sim.releases) {
    const r = cp.world.rollouts.get(id) ?? (await store.getRollout(id));
    if (r) releases.push({ id, toBuild: r.toBuild, phase: r.phase, message: r.message });
  }
  scenario.expectPhases.forEach((expected, i) => {
    const allowed = Array.isArray(expected) ? expected : [expected];
    const got = releases[i]?.phase ?? 'not started';
    if (!allowed.includes(got as never)) monitor.violation('expectation', `release ${i + 1} ended ${got} (${releases[i]?.message ?? ''}); expected ${allowed.join(' or ')}`);
  });
  const fleet = cp.world.fleets.get(FLEET);
  const last = releases[releases.length - 1];
  const routed = routedBuilds(fleet?.routing).join(', ');
  if (last?.phase === 'Completed' && (fleet?.currentBuild !== last.toBuild || routed !== last.toBuild)) {
    monitor.violation('expectation', `the last release completed but the fleet runs ${fleet?.currentBuild ?? '?'} and routes to ${routed}, not ${last.toBuild}`);
  }
  // An abort (or a failure) sends new sessions back where they went before the release.
  const before = last ? sim.routedBefore.get(last.id)?.join(', ') : undefined;
  if ((last?.phase === 'Aborted' || last?.phase === 'Failed') && before !== routed) {
    monitor.violation('expectation', `release ${last.id} ended ${last.phase} but routing sends new sessions to ${routed}, not back to ${before ?? '?'}`);
  }
  const events: Record<string, number> = {};
  for (const e of await store.listEvents({ limit: 10_000_000 })) events[e.kind] = (events[e.kind] ?? 0) + 1;
  return {
    scenario: scenario.name, seed: scenario.seed, violations: monitor.violations, stats: monitor.stats, releases, events,
    fleet: { currentBuild: fleet?.currentBuild ?? '?', builds: builds(sim) },
    simulatedMs: sim.clock.now() - sim.t0, trace: monitor.recentTrace(),
  };
}
