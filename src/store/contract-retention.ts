import { beforeEach, describe, expect, it } from 'vitest';
import { append, ids } from './contract-support.js';
import { sampleEvent, sampleSession, sampleTime } from './fixtures.js';
import type { StateStore } from './port.js';

/**
 * The retention side of the StateStore contract: the deletions retention commits and the reads
 * it plans from. Called by `describeStateStoreContract` with the current test's store.
 */
export function describeRetentionContract(current: () => StateStore): void {
  let store: StateStore;
  beforeEach(() => {
    store = current();
  });

  const closedAt = (id: string, at: number) =>
    sampleSession({ id, state: 'Closed', closedAt: at, closeReason: 'ended' });

  describe('retention', () => {
    it('reports an empty log and no closed sessions for an empty store', async () => {
      expect(await store.retentionStats()).toEqual({ oldestEventSeq: null, newestEventSeq: null, closedSessions: 0 });
    });

    it('deletes the events up to a seq, keeps the rest, and never reuses a deleted seq', async () => {
      await store.commit(['a', 'b', 'c', 'd'].map((subject) => append(sampleEvent({ subject }))));
      const [, second, third] = await store.listEvents({ limit: 10 });
      await store.commit([{ kind: 'deleteEvents', throughSeq: second?.seq ?? -1 }]);

      expect((await store.listEvents({ limit: 10 })).map((e) => e.subject)).toEqual(['c', 'd']);
      const stats = await store.retentionStats();
      expect(stats.oldestEventSeq).toBe(third?.seq);
      await store.commit([append(sampleEvent({ subject: 'e' }))]);
      const newest = (await store.listEvents({ limit: 10 })).at(-1);
      expect(newest?.subject).toBe('e');
      expect(newest?.seq).toBeGreaterThan(stats.newestEventSeq ?? Infinity);
    });

    it('deletes closed sessions by id and never an open one', async () => {
      await store.commit([
        { kind: 'putSession', session: closedAt('ses_old', sampleTime + 1_000) },
        { kind: 'putSession', session: closedAt('ses_kept', sampleTime + 2_000) },
        { kind: 'putSession', session: sampleSession({ id: 'ses_open' }) },
      ]);
      await store.commit([{ kind: 'deleteClosedSessions', ids: ['ses_old', 'ses_open', 'ses_never_stored'] }]);

      expect(await store.getSession('ses_old')).toBeUndefined();
      expect(await store.getSession('ses_open')).toBeDefined();
      expect(ids(await store.listClosedSessions({ limit: 10 }))).toEqual(['ses_kept']);
      expect((await store.retentionStats()).closedSessions).toBe(1);
    });

    it('lists closed sessions oldest closed first, filtered by closedBefore, paged by (closedAt, id)', async () => {
      await store.commit([
        { kind: 'putSession', session: closedAt('ses_c', sampleTime + 3_000) },
        { kind: 'putSession', session: closedAt('ses_a', sampleTime + 1_000) },
        { kind: 'putSession', session: closedAt('ses_b2', sampleTime + 2_000) },
        { kind: 'putSession', session: closedAt('ses_b1', sampleTime + 2_000) },
        { kind: 'putSession', session: sampleSession({ id: 'ses_open' }) },
      ]);
      expect(ids(await store.listClosedSessions({ limit: 10 }))).toEqual(['ses_a', 'ses_b1', 'ses_b2', 'ses_c']);
      expect(ids(await store.listClosedSessions({ limit: 10, closedBefore: sampleTime + 3_000 }))).toEqual(['ses_a', 'ses_b1', 'ses_b2']);
      expect(ids(await store.listClosedSessions({ limit: 2, after: { closedAt: sampleTime + 2_000, id: 'ses_b1' } }))).toEqual(['ses_b2', 'ses_c']);
    });

    it('counts a session as closed once an upsert closes it', async () => {
      await store.commit([{ kind: 'putSession', session: sampleSession({ id: 'ses_1' }) }]);
      expect((await store.retentionStats()).closedSessions).toBe(0);
      await store.commit([{ kind: 'putSession', session: closedAt('ses_1', sampleTime + 5_000) }]);
      expect((await store.retentionStats()).closedSessions).toBe(1);
      expect(ids(await store.listClosedSessions({ limit: 10 }))).toEqual(['ses_1']);
    });
  });
}
