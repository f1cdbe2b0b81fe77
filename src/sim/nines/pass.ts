/**
 * The light simulator's reconcile pass: the steps of `FleetReconciler.passFleet` over the compact
 * world — the release's planner, its plan applied as `RolloutService.apply` applies it, then the
 * fleet planner over the roles (`fleetRoles`) and its actions applied as the reconciler does.
 *
 * One difference on purpose: a stop the fleet planner asks for is carried out as asked.
 * `ServerService.stop` refuses to stop a server with open sessions as a second guard; here the
 * planner alone is held to "never stop a server that hosts a session", and a stop under a player
 * is counted as an interruption (see the mutation tests in `test/sim/nines.sim.test.ts`).
 */
import type { FleetAction } from '../../fleet/plan-fleet.js';
import { isTerminalPhase, type Rollout } from '../../rollout/model.js';
import { fleetRoles } from '../../rollout/roles.js';
import type { AnalysisCheck, RolloutPlan } from '../../rollout/strategy.js';
import type { NinesSim } from './sim.js';

/** One pass. `torn`: the control plane dies after planning the release, before its commit (see `operator.ts`). */
export function reconcilePass(sim: NinesSim, torn = false): void {
  const { world, now } = sim;
  const r = world.rollout;
  if (r && !isTerminalPhase(r.phase)) {
    const strategy = sim.planners.release(r);
    // A check still running after a restart is run again (as `RolloutService.reconcile`).
    if (r.smoke?.state === 'running' && !sim.checkRunning) {
      const check = strategy.runningCheck ? strategy.runningCheck(r) : r.phase === 'Verifying' ? specSmoke(r, r.smoke.serverId) : null;
      if (check) runCheck(sim, r, check);
    }
    applyRolloutPlan(sim, r, strategy.plan({ rollout: r, servers: world.rolloutServers(), now }));
  }
  if (torn) return;
  const { fleet } = sim.c;
  const actions = sim.planners.fleet({
    capacity: { minServers: fleet.minServers, maxServers: fleet.maxServers, bufferServers: fleet.bufferServers, idleTimeoutSeconds: fleet.idleTimeoutSeconds },
    health: fleet.health,
    servers: world.fleetServers(now),
    roles: fleetRoles(world.routing, fleet.idleTimeoutSeconds, world.rollout),
    startNotBefore: sim.startNotBefore,
    observingSince: sim.observingSince,
    now,
  });
  for (const a of actions) applyFleetAction(sim, a);
  if (world.live.size > sim.tally.peakServers) sim.tally.peakServers = world.live.size;
}

/** As `RolloutService.apply`: patch, routing, notices (standing deadlines recorded), drains, migrations, closes, checks. */
export function applyRolloutPlan(sim: NinesSim, r: Rollout, plan: RolloutPlan): void {
  const { world, now } = sim;
  if (Object.keys(plan.patch).length > 0) world.rollout = { ...r, ...plan.patch, updatedAt: now };
  if (plan.routing) world.routing = plan.routing;
  if (plan.completeFleetWith) world.currentBuild = plan.completeFleetWith;
  for (const { serverId, notice } of plan.notices) {
    const s = world.byIdOrNull(serverId);
    if (!s) continue;
    if (notice.type === 'drain') {
      s.drainDeadline = notice.deadline;
      s.migrateTo = null;
    } else if (notice.type === 'migrate') {
      s.drainDeadline = notice.deadline;
      s.migrateTo = notice.build;
    } else if (notice.type === 'drain-cancelled') {
      s.drainDeadline = null;
      s.migrateTo = null;
    }
    sim.notify(s, notice);
  }
  for (const { serverId, reason } of plan.drainServers ?? []) {
    const s = world.byIdOrNull(serverId);
    if (!s || (s.state !== 'Ready' && s.state !== 'Active')) continue;
    s.state = 'Draining';
    s.drainReason = reason;
    world.sync(s);
  }
  for (const id of plan.migrate) {
    const s = world.byIdOrNull(id);
    if (s && world.live.has(s.slot)) sim.closeSessions(s, 'migrated', plan.migrateTo?.build ?? null);
  }
  for (const id of plan.closeSessions?.serverIds ?? []) {
    const s = world.byIdOrNull(id);
    if (s && world.live.has(s.slot)) sim.closeSessions(s, plan.closeSessions?.reason ?? 'closed', null);
  }
  const check = plan.smokeOn ? specSmoke(r, plan.smokeOn) : (plan.check ?? null);
  if (check) runCheck(sim, world.rollout ?? r, check);
}

function runCheck(sim: NinesSim, r: Rollout, check: AnalysisCheck): void {
  // A metrics analysis needs signals this simulator does not produce: no row asks for one.
  if ('analysis' in check) {
    sim.note('unsupported', `${r.id} asked for a metrics analysis`);
    return;
  }
  sim.scheduleCheck(r.id, check.serverId);
}

function specSmoke(r: Rollout, serverId: string): AnalysisCheck | null {
  return 'smoke' in r.spec && r.spec.smoke ? { serverId, smoke: r.spec.smoke } : null;
}

function applyFleetAction(sim: NinesSim, a: FleetAction): void {
  const { world } = sim;
  if (a.kind === 'start') {
    for (let i = 0; i < a.count; i++) sim.launch(a.build);
    return;
  }
  const s = world.byIdOrNull(a.serverId);
  if (!s || !world.live.has(s.slot)) return;
  if (a.kind === 'health') {
    s.state = a.healthy ? (s.cpUsed > 0 ? 'Active' : 'Ready') : 'Unhealthy';
    world.sync(s);
    return;
  }
  if (s.stopRequestedAt !== null) return;
  s.state = 'Draining';
  s.drainReason ??= a.reason;
  s.stopRequestedAt = sim.now;
  world.sync(s);
  sim.signalStop(s);
}
