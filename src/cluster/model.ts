/**
 * Replicas and leadership, as `GET /v1/cluster` shows them. Several `handoff server` processes
 * share one PostgreSQL database; one of them leads a lease and is the only one that writes
 * (its commits carry the lease's fencing epoch), the others forward requests to it.
 *
 * A lease has a name so that leadership can later be split per fleet (`fleet:<name>`) without
 * another schema: today there is one lease, `control-plane`, for everything.
 */
export const ControlPlaneLease = 'control-plane';

export const ReplicaRoles = ['leader', 'follower', 'gone'] as const;
/** `gone`: no heartbeat for longer than the lease's time to live. */
export type ReplicaRole = (typeof ReplicaRoles)[number];

export interface ReplicaView {
  id: string;
  /** Where its API is reached, and where followers forward to when it leads. */
  url: string;
  /** Its SDK endpoint (game servers reach the control plane there); absent when not advertised. */
  sdkUrl?: string;
  role: ReplicaRole;
  startedAt: number;
  /** Its last heartbeat (database time, epoch ms). */
  seenAt: number;
}

export interface ClusterView {
  store: 'sqlite' | 'postgres';
  /** The lease this view is about. */
  lease: string;
  /** The replica holding a live lease; null between a leader's loss and the next take-over. */
  leader: { id: string; url: string; sdkUrl?: string } | null;
  /** The lease's fencing epoch: it grows by one with every take-over. Null on SQLite. */
  epoch: number | null;
  /** When the lease runs out unless renewed (database time); null on SQLite. */
  leaseExpiresAt: number | null;
  /** Which replica answered. */
  self: string;
  /** Every replica, by id (the API's list shape, so `handoff get cluster` prints a table). */
  items: ReplicaView[];
}
