/**
 * A deterministic simulation of a fleet under a release, for property tests: the strategy's
 * planner and the real fleet planner (`planFleet` over `fleetRoles`) run pass by pass while
 * servers start, players come and go, and an operator resumes pauses or aborts. Random choices
 * come from a list of numbers (fast-check draws it), so every run can be replayed. Used by the
 * strategies that replace servers in place (rolling, the in-place canary).
 */
import type { RoutingTable } from '../../allocation/routing.js';
import type { ServerState } from '../../fleet/model.js';
import { planFleet } from '../../fleet/plan-fleet.js';
import { planAbort, planPromote } from '../commands.js';
import { isTerminalPhase, type Rollout } from '../model.js';
import { fleetRoles } from '../roles.js';
import type { RolloutServer, Strategy } from '../strategy.js';

/** The release under test: its strategy, and the release as it starts on a fleet. */
export interface ReleaseUnderTest<R extends Rollout> {
  strategy: Pick<Strategy, 'abortable' | 'plan'>;
  start(capacity: { minServers: number; maxServers: number }, running: number): R;
}

export const SIM_T0 = 5_000_000;
/** The longest a simulated server boots: five crashed boots and a good one fit well inside a 30 s ready timeout. */
const MAX_BOOT_MS = 3_000;

export interface SimInput {
  maxServers: number;
  minServers: number;
  /** Old servers running when the release starts (at most maxServers). */
  running: number;
  sessionsPerServer: number;
  /** Abort at this pass, if any. */
  abortAt: number | null;
  /** Passes during which players keep arriving; afterwards they only leave. */
  playPasses: number;
  random: readonly number[];
}

interface SimServer {
  id: string;
  build: string;
  state: ServerState;
  sessions: number;
  stopRequestedAt: number | null;
  emptySince: number | null;
  createdAt: number;
}

export interface SimResult<R extends Rollout = Rollout> {
  rollout: R;
  /** Most servers of the fleet at once (any state but stopped). */
  peak: number;
  /** Servers asked to stop while hosting a session (must stay empty). */
  stoppedWithSessions: string[];
  /** Sessions closed by anything but their player leaving (must stay 0 without a drain deadline). */
  closedByRelease: number;
  /** Servers left at the end, by build. */
  left: Record<string, number>;
  passes: number;
}

export function simulateRelease<R extends Rollout>(input: SimInput, release: ReleaseUnderTest<R>, maxPasses = 600): SimResult<R> {
  const T0 = SIM_T0;
  let i = 0;
  const rand = (): number => {
    const v = input.random.length === 0 ? 0 : (input.random[i % input.random.length] ?? 0);
    i++;
    return (v % 1000) / 1000;
  };
  const capacity = { minServers: input.minServers, maxServers: input.maxServers };
  let r = release.start(capacity, input.running);
  let routing: RoutingTable = { entries: [{ build: 'v1', weight: 100 }] };
  let seq = 0;
  const servers = new Map<string, SimServer>();
  const add = (build: string, state: ServerState, now: number, sessions = 0): void => {
    const id = `s${String(seq++).padStart(3, '0')}`;
    servers.set(id, { id, build, state, sessions, stopRequestedAt: null, emptySince: sessions === 0 ? now : null, createdAt: now });
  };
  for (let k = 0; k < input.running; k++) {
    const sessions = Math.floor(rand() * (input.sessionsPerServer + 1));
    add('v1', sessions > 0 ? 'Active' : 'Ready', T0, sessions);
  }
  const result: SimResult<R> = { rollout: r, peak: servers.size, stoppedWithSessions: [], closedByRelease: 0, left: {}, passes: 0 };
  const setSessions = (s: SimServer, n: number, now: number): void => {
    s.sessions = n;
    if (s.state === 'Ready' && n > 0) s.state = 'Active';
    if (s.state === 'Active' && n === 0) s.state = 'Ready';
    s.emptySince = n === 0 ? (s.emptySince ?? now) : null;
  };

  let pass = 0;
  let crashes = 0;
  let pausedPasses = 0;
  for (; pass < maxPasses; pass++) {
    const now = T0 + 1000 * (pass + 1);
    // The world moves: servers start (or crash before Ready), stopped ones exit, players leave and arrive.
    for (const s of [...servers.values()]) {
      if (s.stopRequestedAt !== null) {
        if (rand() < 0.5) servers.delete(s.id);
      } else if (s.state === 'Starting') {
        const x = rand();
        // A few starts fail (a crash before Ready); a build that never starts is another test's world.
        // Boots are bounded: the random source is a short cycle, and five crashes each after a long
        // boot would outlast the ready timeout — a slow build, not a property of the planner.
        if (now - s.createdAt >= MAX_BOOT_MS) {
          s.state = 'Ready';
          s.emptySince = now;
        } else if (x < 0.05 && crashes < 5) {
          crashes++;
          servers.delete(s.id);
          if (s.build === r.toBuild && !isTerminalPhase(r.phase)) r = { ...r, startFailures: r.startFailures + 1, lastFailure: 'exit code 1' };
        } else if (x < 0.55) {
          s.state = 'Ready';
          s.emptySince = now;
        }
      } else if (s.sessions > 0) {
        let left = s.sessions;
        for (let k = 0; k < s.sessions; k++) if (rand() < (pass < input.playPasses ? 0.15 : 0.4)) left--;
        setSessions(s, left, now);
      }
    }
    if (pass < input.playPasses) {
      const arrivals = Math.floor(rand() * 3);
      for (let k = 0; k < arrivals; k++) allocate(routing, servers, input.sessionsPerServer, rand(), now, setSessions);
    }

    if (input.abortAt === pass && release.strategy.abortable.includes(r.phase)) {
      const p = planAbort(r, observe(servers), now);
      r = { ...r, ...p.patch };
      if (p.routing) routing = p.routing;
    }
    // An operator resumes a pause after a while (a fixed delay: the random source is a cycle that
    // may never come up low enough, which is not a property of the planner).
    if (r.phase === 'Paused') pausedPasses += 1;
    else pausedPasses = 0;
    if (pausedPasses > 3) r = { ...r, ...planPromote(r, {}, now), updatedAt: now };
    if (!isTerminalPhase(r.phase)) {
      const plan = release.strategy.plan({ rollout: r, servers: observe(servers), now });
      r = { ...r, ...plan.patch, updatedAt: now };
      if (plan.routing) routing = plan.routing;
      for (const { serverId } of plan.drainServers ?? []) {
        const s = servers.get(serverId);
        if (s && (s.state === 'Ready' || s.state === 'Active')) s.state = 'Draining';
      }
      for (const id of plan.migrate) {
        const s = servers.get(id);
        if (s) {
          result.closedByRelease += s.sessions;
          setSessions(s, 0, now);
        }
      }
      // A check answers at once (the service records it before the next pass).
      if ((plan.smokeOn !== null || plan.check) && r.smoke) r = { ...r, smoke: { ...r.smoke, state: 'passed', finishedAt: now } };
    }

    const actions = planFleet({
      capacity: { ...capacity, bufferServers: 0, idleTimeoutSeconds: 600 },
      health: { timeoutSeconds: 1e6, startTimeoutSeconds: 1e6 },
      servers: [...servers.values()].map((s) => ({
        id: s.id, build: s.build, state: s.state, used: s.sessions, roster: 0, unverified: false, createdAt: s.createdAt,
        lastHealthAt: now, emptySince: s.emptySince, stopRequestedAt: s.stopRequestedAt,
      })),
      roles: fleetRoles(routing, 600, r),
      startNotBefore: new Map(),
      observingSince: T0,
      now,
    });
    for (const a of actions) {
      if (a.kind === 'start') for (let k = 0; k < a.count; k++) add(a.build, 'Starting', now);
      if (a.kind === 'stop') {
        const s = servers.get(a.serverId);
        if (!s) continue;
        if (s.sessions > 0) result.stoppedWithSessions.push(s.id);
        s.state = 'Draining';
        s.stopRequestedAt = now;
      }
    }
    result.peak = Math.max(result.peak, servers.size);
    const settled = (r.phase === 'Completed' && pass >= input.playPasses) || (r.phase === 'Aborted' && ![...servers.values()].some((s) => s.build === 'v2'));
    if (settled) break;
  }
  result.rollout = r;
  result.passes = pass;
  for (const s of servers.values()) result.left[s.build] = (result.left[s.build] ?? 0) + 1;
  return result;
}

function observe(servers: Map<string, SimServer>): RolloutServer[] {
  return [...servers.values()].map((s) => ({ id: s.id, build: s.build, state: s.state, used: s.sessions }));
}

/** A new player: a build by the routing weights, then a server of it with room (spilling over to the other routed build). */
function allocate(routing: RoutingTable, servers: Map<string, SimServer>, slots: number, x: number, now: number, set: (s: SimServer, n: number, now: number) => void): void {
  const routed = routing.entries.filter((e) => e.weight > 0);
  const total = routed.reduce((n, e) => n + e.weight, 0);
  let cum = 0;
  const pick = routed.find((e) => (cum += e.weight) > x * total) ?? routed[0];
  const order = pick ? [pick, ...routed.filter((e) => e !== pick)] : [];
  for (const e of order) {
    const s = [...servers.values()].find((c) => c.build === e.build && (c.state === 'Ready' || c.state === 'Active') && c.sessions < slots);
    if (s) return set(s, s.sessions + 1, now);
  }
}
