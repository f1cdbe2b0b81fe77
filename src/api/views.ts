/** Response shapes built from the in-memory world. Secrets (server tokens) never leave here. */
import { takesNewSessions, type RoutingTable } from '../allocation/routing.js';
import { fleetPlacement, joinTokenPolicy, type Fleet, type GameServer } from '../fleet/model.js';
import type { Rollout } from '../rollout/model.js';
import { strategyOf } from '../rollout/strategies/index.js';
import type { World } from '../state/world.js';
import type { FleetView, RolloutView, RoutingView, ServerView } from './schemas.js';

const bump = (m: Record<string, number>, k: string, by = 1): void => {
  m[k] = (m[k] ?? 0) + by;
};

export function serverView(world: World, s: GameServer): ServerView {
  const { token: _secret, identity: _identity, emptySince: _e, stopRequestedAt: _r, ...rest } = s;
  return { ...rest, sessions: world.used(s.id) };
}

export function fleetView(world: World, f: Fleet): FleetView {
  const serversByState: Record<string, number> = {};
  const serversByBuild: Record<string, number> = {};
  const openSessionsByBuild: Record<string, number> = {};
  let freeSlots = 0;
  for (const s of world.fleetServers(f.name)) {
    bump(serversByState, s.state);
    bump(serversByBuild, s.build);
    const used = world.used(s.id);
    if (used > 0) bump(openSessionsByBuild, s.build, used);
    // A fleet closed for maintenance has no free slot, whatever its servers have.
    const routed = !f.routing.closed && takesNewSessions(f.routing, s.build);
    if (routed && (s.state === 'Ready' || s.state === 'Active')) freeSlots += Math.max(0, s.capacity - used);
  }
  return {
    name: f.name, currentBuild: f.currentBuild, capacity: f.capacity, health: f.health, region: f.region, partyPolicy: f.partyPolicy, labels: f.labels,
    joinTokens: joinTokenPolicy(f), placement: fleetPlacement(f),
    routing: routingView(f.routing), createdAt: f.createdAt, updatedAt: f.updatedAt,
    status: { serversByState, serversByBuild, openSessionsByBuild, freeSlots, activeRollout: world.activeRolloutOf(f.name)?.id ?? null },
  };
}

/** The table with its defaults spelled out, so an operator sees what the allocator does. */
export function routingView(t: RoutingTable): RoutingView {
  return {
    entries: t.entries.map((e) => ({ build: e.build, weight: e.weight, ...(e.rank === undefined ? {} : { rank: e.rank }) })),
    rules: (t.rules ?? []).map((r) => ({ name: r.name ?? null, build: r.build, players: r.players ?? [], when: r.when ?? [], fallback: r.fallback ?? true })),
    prefer: t.prefer ?? 'weights',
    salt: t.salt ?? null,
    closed: t.closed ?? null,
  };
}

export function rolloutView(world: World, r: Rollout): RolloutView {
  const builds: RolloutView['progress']['builds'] = {};
  const fleet = world.fleets.get(r.fleet);
  const weight = (b: string): number => fleet?.routing.entries.find((e) => e.build === b)?.weight ?? 0;
  // The release's own builds: old and new, and any other it uses (the variants of an A/B test).
  for (const b of [r.fromBuild, r.toBuild, ...(strategyOf(r).builds?.(r.spec) ?? [])]) builds[b] = { servers: {}, sessions: 0, weight: weight(b) };
  // Every other build with servers left is an older release still draining beside this one.
  const draining: Record<string, { servers: number; sessions: number }> = {};
  for (const s of world.fleetServers(r.fleet)) {
    const entry = builds[s.build];
    if (entry) {
      bump(entry.servers, s.state);
      entry.sessions += world.used(s.id);
    } else if (weight(s.build) === 0) {
      const d = (draining[s.build] ??= { servers: 0, sessions: 0 });
      d.servers += 1;
      d.sessions += world.used(s.id);
    }
  }
  const { spec, previousRouting: _previous, ...rest } = r;
  return {
    ...rest,
    supersededBy: r.supersededBy ?? null,
    analyses: (r.analyses ?? []).map((a) => ({ ...a, kind: a.kind ?? 'step' })),
    background: r.background ?? (r.spec.backgroundAnalysis ? { nextAt: r.createdAt + r.spec.backgroundAnalysis.intervalSeconds * 1000, running: null, runs: 0, heldAt: null } : null),
    progressState: r.progressState ?? {},
    strategy: spec.strategy,
    spec: { ...spec },
    progress: { builds, draining: Object.entries(draining).map(([build, d]) => ({ build, ...d })) },
  };
}
