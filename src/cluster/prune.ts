import type { NewEvent } from '../core/events.js';
import type { ReplicaRecord } from './view.js';

/** How long a silent replica stays listed by default: a day, time enough to see it went away. */
export const DefaultReplicaRetentionMs = 24 * 3_600_000;

/**
 * The replicas the leader removes from the cluster table: silent for longer than `retentionMs`
 * (last heartbeat before `now - retentionMs`, database time). Never `self` (the leader deciding)
 * nor the lease's holder, whatever their rows say. `retentionMs` 0 keeps every replica forever.
 * Pure: `now` is the database's clock, the one every replica shares.
 */
export function replicasToPrune(replicas: readonly ReplicaRecord[], keep: { self: string; holder: string | null }, now: number, retentionMs: number): ReplicaRecord[] {
  if (retentionMs <= 0) return [];
  return replicas.filter((r) => r.id !== keep.self && r.id !== keep.holder && now - r.seenAt > retentionMs);
}

/** The event the leader records for a pruned replica (`cluster.replica_pruned`, no fleet). */
export function replicaPrunedEvent(r: ReplicaRecord, retentionMs: number, now: number): NewEvent {
  const hours = Math.round((retentionMs / 3_600_000) * 10) / 10;
  return {
    at: now, fleet: null, kind: 'cluster.replica_pruned', subject: r.id,
    message: `replica ${r.id} (${r.url}) removed from the cluster: no heartbeat since ${new Date(r.seenAt).toISOString()}, longer than ${hours} h`,
    data: { url: r.url, startedAt: r.startedAt, seenAt: r.seenAt, retentionMs },
  };
}
