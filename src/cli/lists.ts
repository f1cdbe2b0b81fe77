/**
 * How each `handoff get` resource renders as a table: its columns and one row per item.
 * Pure, with `now` passed in, so the tables are unit-tested without a server or a clock.
 */
import type { ClusterView, ReplicaView } from '../cluster/model.js';
import { ServerStates } from '../fleet/model.js';
import { formatAge, formatCounts, formatTime, orDash, renderTable, truncate } from './table.js';
import type { BuildView, EventView, FleetView, HostView, RolloutView, ServerView, SessionView } from './views.js';

export const ListResources = ['builds', 'fleets', 'servers', 'sessions', 'rollouts', 'events', 'cluster', 'hosts'] as const;
export type ListResource = (typeof ListResources)[number];

export function isListResource(value: string): value is ListResource {
  return (ListResources as readonly string[]).includes(value);
}

interface Columns<T> {
  headers: readonly string[];
  row(item: T, now: number): string[];
}

const builds: Columns<BuildView> = {
  headers: ['ID', 'VERSION', 'CAPACITY', 'CLIENTS'],
  row: (b) => [b.id, b.version, String(b.sessionsPerServer), b.compatibleClients],
};

const fleets: Columns<FleetView> = {
  headers: ['NAME', 'BUILD', 'SERVERS', 'SESSIONS', 'FREE', 'ROLLOUT'],
  row: (f) => [
    f.name,
    f.currentBuild,
    formatCounts(f.status.serversByState, ServerStates),
    String(sum(Object.values(f.status.openSessionsByBuild))),
    String(f.status.freeSlots),
    orDash(f.status.activeRollout),
  ],
};

const servers: Columns<ServerView> = {
  headers: ['ID', 'FLEET', 'BUILD', 'STATE', 'SESSIONS/CAP', 'ADDRESS', 'PORTS', 'AGE'],
  row: (s, now) => [
    s.id,
    s.fleet,
    s.build,
    s.state,
    `${s.sessions}/${s.capacity}`,
    s.address,
    formatPorts(s.ports),
    formatAge(s.createdAt, now),
  ],
};

const sessions: Columns<SessionView> = {
  headers: ['ID', 'PLAYER', 'PARTY', 'FLEET', 'BUILD', 'SERVER', 'STATE', 'AGE'],
  row: (s, now) => [s.id, s.playerId, orDash(s.partyId), s.fleet, s.build, s.server, s.state, formatAge(s.openedAt, now)],
};

const rollouts: Columns<RolloutView> = {
  headers: ['ID', 'FLEET', 'FROM', 'TO', 'PHASE', 'MESSAGE', 'AGE'],
  // MESSAGE sits mid-row, so a long one is cut to keep AGE in its column.
  row: (r, now) => [r.id, r.fleet, r.fromBuild, r.toBuild, r.phase, orDash(truncate(r.message, 60)), formatAge(r.createdAt, now)],
};

const events: Columns<EventView> = {
  headers: ['SEQ', 'TIME', 'FLEET', 'KIND', 'SUBJECT', 'MESSAGE'],
  row: (e) => [String(e.seq), formatTime(e.at), orDash(e.fleet), e.kind, e.subject, e.message],
};

const cluster: Columns<ReplicaView> = {
  headers: ['REPLICA', 'ROLE', 'URL', 'SEEN'],
  row: (r, now) => [r.id, r.role, r.url, formatAge(r.seenAt, now)],
};

const hosts: Columns<HostView> = {
  headers: ['HOST', 'ZONE', 'REGION', 'ADDRESS', 'STATE', 'SERVERS/SLOTS', 'SEEN'],
  row: (h, now) => [h.embedded ? `${h.id} (embedded)` : h.id, h.zone, h.region, h.publicAddress, h.state, `${h.servers.length}/${h.capacity.slots}`, h.embedded ? '-' : formatAge(h.lastHeartbeatAt, now)],
};

// Each entry's item type is checked above; the list itself comes off the wire untyped.
const AllColumns: Record<ListResource, Columns<unknown>> = { builds, fleets, servers, sessions, rollouts, events, cluster, hosts };

/** `get cluster`: who leads under which epoch, then the replicas. */
export function renderCluster(view: ClusterView, now: number): string {
  const epoch = view.epoch === null ? 'none (SQLite: one replica)' : String(view.epoch);
  const head = `lease ${view.lease}: leader ${view.leader?.id ?? 'none (a take-over is under way)'}, epoch ${epoch}`;
  return `${head}\n${renderList('cluster', view.items, now)}`;
}

/** The table for `get <resource>`, or a one-line note when the list is empty. */
export function renderList(resource: ListResource, items: readonly unknown[], now: number): string {
  if (items.length === 0) return `No ${resource} found.`;
  const columns = AllColumns[resource];
  return renderTable(
    columns.headers,
    items.map((item) => columns.row(item, now)),
  );
}

/** `{game: 7001, query: 7002}` → `game=7001,query=7002`. */
export function formatPorts(ports: Readonly<Record<string, number>>): string {
  return orDash(
    Object.entries(ports)
      .map(([name, port]) => `${name}=${port}`)
      .join(','),
  );
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
