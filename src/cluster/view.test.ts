import { describe, expect, it } from 'vitest';
import { clusterView, type LeaseState, type ReplicaRecord } from './view.js';

const now = 1_000_000;
const replica = (id: string, seenAgo: number): ReplicaRecord => ({ id, url: `http://${id}`, startedAt: 0, seenAt: now - seenAgo });
const lease = (holder: string, live: boolean, epoch = 3): LeaseState => ({ name: 'control-plane', holder, epoch, expiresAt: now + (live ? 1 : -1), live });

describe('clusterView', () => {
  it.each<[string, LeaseState | null, ReplicaRecord[], Record<string, string>, string | null]>([
    ['the holder of a live lease leads; the others follow', lease('a', true), [replica('a', 0), replica('b', 100)], { a: 'leader', b: 'follower' }, 'a'],
    ['nobody leads while the lease is expired', lease('a', false), [replica('a', 0), replica('b', 0)], { a: 'follower', b: 'follower' }, null],
    ['nobody leads before the lease was ever taken', null, [replica('a', 0)], { a: 'follower' }, null],
    ['a replica silent longer than the lease lives is gone', lease('a', true), [replica('a', 0), replica('b', 5_001)], { a: 'leader', b: 'gone' }, 'a'],
    ['a live lease holder leads even when its last heartbeat is old', lease('a', true), [replica('a', 9_000)], { a: 'leader' }, 'a'],
  ])('%s', (_name, l, replicas, roles, leader) => {
    const view = clusterView(l, replicas, 'b', now, 5_000);
    expect(Object.fromEntries(view.items.map((r) => [r.id, r.role]))).toEqual(roles);
    expect(view.leader?.id ?? null).toBe(leader);
    expect(view.epoch).toBe(l?.epoch ?? null);
  });

  it('names the leader\'s SDK endpoint, and each replica\'s, when they advertise one', () => {
    const view = clusterView(lease('a', true), [{ ...replica('a', 0), sdkUrl: 'http://a:7351' }, { ...replica('b', 0), sdkUrl: '' }], 'b', now, 5_000);
    expect(view.leader).toEqual({ id: 'a', url: 'http://a', sdkUrl: 'http://a:7351' });
    expect(view.items.map((r) => r.sdkUrl)).toEqual(['http://a:7351', undefined]);
  });
});
