import { describe, expect, it } from 'vitest';
import { DefaultReplicaRetentionMs, replicasToPrune } from './prune.js';
import type { ReplicaRecord } from './view.js';

const hour = 3_600_000;
const now = 1_000 * hour;
const replica = (id: string, silentFor: number): ReplicaRecord => ({ id, url: `http://${id}`, startedAt: 0, seenAt: now - silentFor });
const keep = { self: 'cp-1', holder: 'cp-1' };

describe('replicasToPrune', () => {
  it.each([
    { case: 'a replica seen a second ago', silentFor: 1_000, pruned: false },
    { case: 'a replica gone for an hour (shown as gone)', silentFor: hour, pruned: false },
    { case: 'a replica silent for exactly the retention', silentFor: DefaultReplicaRetentionMs, pruned: false },
    { case: 'a replica silent a millisecond longer than the retention', silentFor: DefaultReplicaRetentionMs + 1, pruned: true },
    { case: 'a replica silent for a week', silentFor: 7 * 24 * hour, pruned: true },
  ])('with the default retention, prunes $case: $pruned', ({ silentFor, pruned }) => {
    const out = replicasToPrune([replica('cp-2', silentFor)], keep, now, DefaultReplicaRetentionMs);
    expect(out.map((r) => r.id)).toEqual(pruned ? ['cp-2'] : []);
  });

  it('never prunes the deciding replica or the lease holder, however old their rows', () => {
    const rows = [replica('cp-1', 30 * 24 * hour), replica('cp-2', 30 * 24 * hour), replica('cp-3', 30 * 24 * hour)];
    expect(replicasToPrune(rows, { self: 'cp-1', holder: 'cp-2' }, now, hour).map((r) => r.id)).toEqual(['cp-3']);
  });

  it('keeps every replica when the retention is 0', () => {
    expect(replicasToPrune([replica('cp-2', 365 * 24 * hour)], keep, now, 0)).toEqual([]);
  });

  it('judges by the `now` it is given, not by a clock', () => {
    const row = replica('cp-2', 2 * hour);
    expect(replicasToPrune([row], keep, now, 3 * hour)).toEqual([]);
    expect(replicasToPrune([row], keep, now + 2 * hour, 3 * hour)).toEqual([row]);
  });
});
