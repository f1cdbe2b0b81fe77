/** One line of the demo's live view: what the fleet and the players look like right now. */
import type { World } from '../state/world.js';
import type { PoolStats } from './player.js';

export function liveLine(world: World, fleet: string, pool: PoolStats, elapsedMs: number): string {
  const builds = new Map<string, { states: Map<string, number>; sessions: number }>();
  for (const s of world.fleetServers(fleet)) {
    let b = builds.get(s.build);
    if (!b) builds.set(s.build, (b = { states: new Map(), sessions: 0 }));
    b.states.set(s.state, (b.states.get(s.state) ?? 0) + 1);
    b.sessions += world.used(s.id);
  }
  const f = world.fleets.get(fleet);
  const weight = (b: string): number => f?.routing.entries.find((e) => e.build === b)?.weight ?? 0;
  const parts = [...builds.entries()].sort().map(([b, v]) => {
    const states = [...v.states.entries()].map(([st, n]) => `${st}:${n}`).join(' ');
    return `${b} w=${weight(b)} [${states}] ${v.sessions} sess`;
  });
  const r = world.latestRolloutOf(fleet);
  const phase = r ? `${r.phase}` : 'steady';
  const t = (elapsedMs / 1000).toFixed(0).padStart(3);
  const total = pool.total;
  return `t=${t}s ${phase.padEnd(12)} ${parts.join(' | ')} | players in game ${pool.inSession}/${pool.players}, opened ${total.sessionsOpened}, interrupted ${total.sessionsInterrupted}, drain notices ${total.drainNotices}`;
}
