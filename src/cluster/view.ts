import type { ClusterView, ReplicaView } from './model.js';

export interface LeaseState {
  name: string;
  holder: string;
  epoch: number;
  expiresAt: number;
  live: boolean;
}

export interface ReplicaRecord {
  id: string;
  url: string;
  /** '' when the replica advertises none. */
  sdkUrl?: string;
  startedAt: number;
  seenAt: number;
}

/**
 * The cluster as one replica sees it: who leads (the holder of a live lease), and each
 * replica's role. Pure: `now` is the database's clock, the one all replicas share. A replica
 * silent for longer than `goneAfterMs` is `gone` (the view shows it went away, until the leader
 * prunes it after the replica retention: prune.ts).
 */
export function clusterView(lease: LeaseState | null, replicas: readonly ReplicaRecord[], self: string, now: number, goneAfterMs: number): ClusterView {
  const leaderId = lease?.live ? lease.holder : null;
  const items: ReplicaView[] = replicas.map(({ sdkUrl, ...r }) => ({
    ...r,
    ...(sdkUrl ? { sdkUrl } : {}),
    role: r.id === leaderId ? 'leader' : now - r.seenAt > goneAfterMs ? 'gone' : 'follower',
  }));
  const leaderRow = items.find((r) => r.role === 'leader');
  return {
    store: 'postgres',
    lease: lease?.name ?? 'control-plane',
    leader: leaderRow ? { id: leaderRow.id, url: leaderRow.url, ...(leaderRow.sdkUrl ? { sdkUrl: leaderRow.sdkUrl } : {}) } : null,
    epoch: lease?.epoch ?? null,
    leaseExpiresAt: lease?.expiresAt ?? null,
    self,
    items,
  };
}

/** The view of a control plane on SQLite: one replica, always the leader, no lease. */
export function singleNodeView(self: string, url: string, startedAt: number, now: number): ClusterView {
  return {
    store: 'sqlite', lease: 'control-plane', leader: { id: self, url }, epoch: null, leaseExpiresAt: null, self,
    items: [{ id: self, url, role: 'leader', startedAt, seenAt: now }],
  };
}
