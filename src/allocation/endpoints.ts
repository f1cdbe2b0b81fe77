/**
 * Service discovery: the servers of a fleet that take new traffic per its routing table, for
 * clients of a service without sessions (payments) that call it directly. Pure: the same
 * servers and table give the same list and the same version, so a client holding a version
 * can wait for it to change. A blue-green switch changes the table in one commit, so the list
 * goes from the old build's servers to the new build's in one version, never a mix.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { GameServer } from '../fleet/model.js';
import type { RoutingTable } from './routing.js';

export interface Endpoint {
  server: string;
  address: string;
  ports: Record<string, number>;
  build: string;
  weight: number;
}

const SERVING: ReadonlySet<GameServer['state']> = new Set(['Ready', 'Active']);

/** Ready and Active servers of builds with a positive weight, sorted by id; none while the fleet is closed (maintenance). */
export function fleetEndpoints(routing: RoutingTable, servers: readonly Pick<GameServer, 'id' | 'state' | 'address' | 'ports' | 'build'>[]): { version: string; endpoints: Endpoint[] } {
  const weights = new Map<string, number>();
  if (!routing.closed) for (const e of routing.entries) if (e.weight > 0) weights.set(e.build, (weights.get(e.build) ?? 0) + e.weight);
  const endpoints = servers
    .filter((s) => SERVING.has(s.state) && weights.has(s.build))
    .map((s) => ({ server: s.id, address: s.address, ports: s.ports, build: s.build, weight: weights.get(s.build) ?? 0 }))
    .sort((a, b) => a.server.localeCompare(b.server));
  return { version: createHash('sha256').update(canonicalJson(endpoints)).digest('hex').slice(0, 16), endpoints };
}
