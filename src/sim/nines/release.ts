/**
 * Starting a release in the light simulator: the request parsed by the API's own schema (so a
 * row means what `POST /v1/rollouts` makes of it), then what `RolloutService.start` decides —
 * where the release starts from, its first state from the strategy's `init`, and, when the
 * fleet's release in flight already routes sessions, superseding it (its leaving builds keep
 * retiring beside the new one). The service's I/O (store, events) has no counterpart here.
 */
import { RolloutStartSchema, toRolloutStart, type RolloutStartRequest } from '../../api/schemas.js';
import { isTerminalPhase, type Rollout } from '../../rollout/model.js';
import { strategyFor, strategyOf } from '../../rollout/strategies/index.js';
import { atTimes, withBuilds } from '../actions.js';
import type { NinesSim } from './sim.js';

const UP = new Set(['Starting', 'Ready', 'Active']);

/** Starts the release of `build` with the row's request; null (and a note) when the service would refuse it. */
export function startRelease(sim: NinesSim, build: string, n: number): Rollout | null {
  const { world, now } = sim;
  const fleet = sim.c.fleet;
  const body = withBuilds(atTimes(sim.c.row.request, now), { $build: build, $current: world.currentBuild });
  const req = toRolloutStart(RolloutStartSchema.parse({ ...body, fleet: 'nines', build }) as RolloutStartRequest);
  const strategy = strategyFor(req.spec);
  strategy.validate(req.spec, now, { build });
  const active = world.rollout && !isTerminalPhase(world.rollout.phase) ? world.rollout : null;
  const superseding = active && strategyOf(active).hasRouted(active) ? active : null;
  if (active && !superseding) {
    sim.note('premise', `${build} not released: ${active.id} (${active.phase}) has not routed a session yet`);
    return null;
  }
  const from = mainBuild(world.routing) ?? world.currentBuild;
  if (from === build) return null;
  const running = world.liveServers().filter((s) => s.build === from && UP.has(s.state)).length;
  const first = strategy.init(req.spec, { capacity: { minServers: fleet.minServers, maxServers: fleet.maxServers }, runningOld: running, fromBuild: from }, now);
  const rollout: Rollout = {
    id: `ro${n}`, fleet: 'nines', fromBuild: from, toBuild: build, spec: req.spec, ...first,
    startFailures: 0, lastFailure: null, smoke: null, previousRouting: world.routing, supersededBy: null,
    createdAt: now, updatedAt: now, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null,
    migratedAt: null, completedAt: null, abortedAt: null, failedAt: null,
  };
  if (superseding) {
    const draining: Record<string, number> = { ...superseding.drainingBuilds };
    for (const [b, role] of strategyOf(superseding).roles(superseding, fleet.idleTimeoutSeconds)) {
      if (role.role === 'retiring' && b !== build) draining[b] = role.idleSeconds;
    }
    rollout.drainingBuilds = draining;
    world.currentBuild = from;
  }
  world.rollout = rollout;
  sim.checkRunning = false;
  return rollout;
}

function mainBuild(routing: { entries: readonly { build: string; weight: number }[] }): string | null {
  let best: { build: string; weight: number } | null = null;
  for (const e of routing.entries) if (e.weight > 0 && (!best || e.weight > best.weight)) best = e;
  return best?.build ?? null;
}
