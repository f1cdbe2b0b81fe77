/**
 * Which game servers a fault touches: pure, so "never more than the radius" is a table test.
 * Only running servers with a pid count (a stopped or starting server is not a target), and
 * the ones hosting the fewest sessions go first: the radius bounds the servers, and within it
 * the experiment hurts as few players as it can.
 */
import type { ServerRadius } from './model.js';
import type { ServerInfo } from './ports.js';

export const TargetStates: readonly string[] = ['Ready', 'Active', 'Draining', 'Unhealthy'];

export function pickServers(servers: readonly ServerInfo[], radius: ServerRadius): ServerInfo[] {
  const eligible = servers
    .filter((s) => s.fleet === radius.fleet && s.pid !== null && TargetStates.includes(s.state))
    .sort((a, b) => a.sessions - b.sessions || a.id.localeCompare(b.id));
  const n = 'count' in radius ? radius.count : Math.ceil((radius.percent / 100) * eligible.length);
  return eligible.slice(0, Math.min(n, eligible.length));
}
