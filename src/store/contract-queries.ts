import { beforeEach, describe, expect, it } from 'vitest';
import type { ServerState } from '../fleet/model.js';
import type { RolloutPhase } from '../rollout/model.js';
import type { Session } from '../session/model.js';
import { append, byId, closed, closedFields, ids } from './contract-support.js';
import {
  sampleBuild,
  sampleEvent,
  sampleIdempotency,
  sampleMigrationToken,
  sampleRollout,
  sampleServer,
  sampleSession,
  sampleTime,
} from './fixtures.js';
import type { StateStore } from './port.js';

/**
 * The read side of the StateStore contract: what `load` leaves out, list filters, order and
 * limits, and event paging. Called by `describeStateStoreContract` with the current test's store.
 */
export function describeQueryContract(current: () => StateStore): void {
  let store: StateStore;
  beforeEach(() => {
    store = current();
  });

  describe('load', () => {
    it.each<ServerState>(['Stopped', 'Crashed'])('leaves out %s servers', async (state) => {
      const live = sampleServer({ id: 'srv_live' });
      await store.commit([
        { kind: 'putServer', server: live },
        { kind: 'putServer', server: sampleServer({ id: 'srv_gone', state, stoppedAt: sampleTime + 9_000 }) },
      ]);
      expect((await store.load(sampleTime)).servers).toEqual([live]);
    });

    it('drops a server once an upsert makes it terminal', async () => {
      await store.commit([{ kind: 'putServer', server: sampleServer() }]);
      await store.commit([{ kind: 'putServer', server: sampleServer({ state: 'Stopped', exitCode: 0 }) }]);
      expect((await store.load(sampleTime)).servers).toEqual([]);
    });

    it('leaves out closed sessions, including ones closed by an upsert', async () => {
      const reserved = sampleSession({ id: 'ses_reserved', state: 'Reserved', connectedAt: null });
      const connected = sampleSession({ id: 'ses_connected' });
      await store.commit([
        { kind: 'putSession', session: reserved },
        { kind: 'putSession', session: connected },
        { kind: 'putSession', session: sampleSession({ id: 'ses_closing' }) },
      ]);
      await store.commit([{ kind: 'putSession', session: closed('ses_closing') }]);
      expect(byId((await store.load(sampleTime)).openSessions)).toEqual(byId([reserved, connected]));
    });

    it.each<RolloutPhase>(['Completed', 'Aborted', 'Failed'])('leaves out %s rollouts', async (phase) => {
      const active = sampleRollout({ id: 'ro_active', phase: 'Draining' });
      await store.commit([
        { kind: 'putRollout', rollout: active },
        { kind: 'putRollout', rollout: sampleRollout({ id: 'ro_done', phase }) },
      ]);
      expect((await store.load(sampleTime)).activeRollouts).toEqual([active]);
    });

    it('keeps idempotency records expiring after now and drops those expired at now', async () => {
      const now = sampleTime + 60_000;
      const later = sampleIdempotency({ key: 'later', expiresAt: now + 1 });
      await store.commit([
        { kind: 'putIdempotency', record: later },
        { kind: 'putIdempotency', record: sampleIdempotency({ key: 'at-now', expiresAt: now }) },
        { kind: 'putIdempotency', record: sampleIdempotency({ key: 'earlier', expiresAt: now - 1 }) },
      ]);
      expect((await store.load(now)).idempotency).toEqual([later]);
      expect((await store.load(now - 1)).idempotency.map((r) => r.key).sort()).toEqual(['at-now', 'later']);
    });

    it('deletes idempotency records expiring at or before the cutoff', async () => {
      const cutoff = sampleTime + 60_000;
      await store.commit(
        [cutoff - 1, cutoff, cutoff + 1].map((expiresAt) => ({
          kind: 'putIdempotency',
          record: sampleIdempotency({ key: `k${expiresAt - cutoff}`, expiresAt }),
        })),
      );
      await store.commit([{ kind: 'expireIdempotency', before: cutoff }]);
      // Loading at a time before every expiry shows what is physically left.
      expect((await store.load(0)).idempotency.map((r) => r.key)).toEqual(['k1']);
    });

    it('keeps migration tokens expiring after now, used or not, and deletes those expiring at or before a cutoff', async () => {
      const cutoff = sampleTime + 60_000;
      const unused = sampleMigrationToken({ id: 'ses_a', expiresAt: cutoff + 1, usedAt: null, usedBy: null });
      const used = sampleMigrationToken({ id: 'ses_b', expiresAt: cutoff + 2 });
      await store.commit([
        { kind: 'putMigrationToken', token: unused },
        { kind: 'putMigrationToken', token: used },
        { kind: 'putMigrationToken', token: sampleMigrationToken({ id: 'ses_c', expiresAt: cutoff }) },
      ]);
      expect(byId((await store.load(cutoff)).migrationTokens)).toEqual([unused, used]);
      // Marking one used is an upsert of the same id.
      const nowUsed = { ...unused, usedAt: cutoff - 5, usedBy: 'ses_z' };
      await store.commit([{ kind: 'putMigrationToken', token: nowUsed }, { kind: 'expireMigrationTokens', before: cutoff }]);
      expect(byId((await store.load(0)).migrationTokens)).toEqual([nowUsed, used]);
    });
  });

  describe('lists', () => {
    it('lists builds newest first, ties broken by id descending, up to the limit', async () => {
      await store.commit([
        { kind: 'putBuild', build: sampleBuild({ id: 'bld_old', createdAt: sampleTime }) },
        { kind: 'putBuild', build: sampleBuild({ id: 'bld_a', createdAt: sampleTime + 10 }) },
        { kind: 'putBuild', build: sampleBuild({ id: 'bld_b', createdAt: sampleTime + 10 }) },
      ]);
      expect(ids(await store.listBuilds({ limit: 10 }))).toEqual(['bld_b', 'bld_a', 'bld_old']);
      expect(ids(await store.listBuilds({ limit: 2 }))).toEqual(['bld_b', 'bld_a']);
    });

    it('lists live servers by default and history with includeTerminal, filtered by fleet', async () => {
      await store.commit([
        { kind: 'putServer', server: sampleServer({ id: 'srv_a1', createdAt: sampleTime + 1 }) },
        { kind: 'putServer', server: sampleServer({ id: 'srv_a2', createdAt: sampleTime + 2, state: 'Crashed' }) },
        { kind: 'putServer', server: sampleServer({ id: 'srv_a3', createdAt: sampleTime + 3, state: 'Ready' }) },
        { kind: 'putServer', server: sampleServer({ id: 'srv_b1', fleet: 'other', createdAt: sampleTime + 4 }) },
      ]);
      expect(ids(await store.listServers({ limit: 10 }))).toEqual(['srv_b1', 'srv_a3', 'srv_a1']);
      expect(ids(await store.listServers({ limit: 10, fleet: 'arena' }))).toEqual(['srv_a3', 'srv_a1']);
      expect(ids(await store.listServers({ limit: 10, fleet: 'arena', includeTerminal: true }))).toEqual([
        'srv_a3', 'srv_a2', 'srv_a1',
      ]);
      expect(ids(await store.listServers({ limit: 1, includeTerminal: true }))).toEqual(['srv_b1']);
      expect(await store.listServers({ limit: 10, fleet: 'nobody' })).toEqual([]);
    });

    it('filters sessions by fleet, player, server and openness, newest first', async () => {
      const s = (id: string, openedAt: number, o: Partial<Session> = {}) =>
        sampleSession({ id, openedAt: sampleTime + openedAt, ...o });
      await store.commit(
        [
          s('ses_1', 1),
          { ...s('ses_2', 2, { playerId: 'player-2' }), ...closedFields() },
          s('ses_3', 3, { server: 'srv_2' }),
          s('ses_4', 4, { fleet: 'other', server: 'srv_9', playerId: 'player-2' }),
          { ...s('ses_5', 4), ...closedFields() },
        ].map((session) => ({ kind: 'putSession', session })),
      );
      const list = async (q: Omit<Parameters<StateStore['listSessions']>[0], 'limit'>, limit = 10) =>
        ids(await store.listSessions({ limit, ...q }));

      expect(await list({})).toEqual(['ses_5', 'ses_4', 'ses_3', 'ses_2', 'ses_1']);
      expect(await list({ fleet: 'arena' })).toEqual(['ses_5', 'ses_3', 'ses_2', 'ses_1']);
      expect(await list({ open: true })).toEqual(['ses_4', 'ses_3', 'ses_1']);
      expect(await list({ open: false })).toEqual(['ses_5', 'ses_2']);
      expect(await list({ fleet: 'arena', open: true })).toEqual(['ses_3', 'ses_1']);
      expect(await list({ playerId: 'player-2' })).toEqual(['ses_4', 'ses_2']);
      expect(await list({ playerId: 'player-2', open: true })).toEqual(['ses_4']);
      expect(await list({ server: 'srv_1' })).toEqual(['ses_5', 'ses_2', 'ses_1']);
      expect(await list({ server: 'srv_1', open: true })).toEqual(['ses_1']);
      expect(await list({ server: 'srv_1', open: false })).toEqual(['ses_5', 'ses_2']);
      expect(await list({ server: 'srv_1' }, 2)).toEqual(['ses_5', 'ses_2']);
      expect(await list({ server: 'srv_1', fleet: 'other' })).toEqual([]);
      expect(await list({ server: 'srv_1', playerId: 'player-2' })).toEqual(['ses_2']);
      expect(await list({}, 2)).toEqual(['ses_5', 'ses_4']);
    });

    it('lists rollouts newest first, filtered by fleet, terminal ones included', async () => {
      await store.commit([
        { kind: 'putRollout', rollout: sampleRollout({ id: 'ro_1', createdAt: sampleTime + 1, phase: 'Completed' }) },
        { kind: 'putRollout', rollout: sampleRollout({ id: 'ro_2', createdAt: sampleTime + 2, fleet: 'other' }) },
        { kind: 'putRollout', rollout: sampleRollout({ id: 'ro_3', createdAt: sampleTime + 3 }) },
      ]);
      expect(ids(await store.listRollouts({ limit: 10 }))).toEqual(['ro_3', 'ro_2', 'ro_1']);
      expect(ids(await store.listRollouts({ limit: 10, fleet: 'arena' }))).toEqual(['ro_3', 'ro_1']);
      expect(ids(await store.listRollouts({ limit: 1, fleet: 'arena' }))).toEqual(['ro_3']);
    });
  });

  describe('events', () => {
    it('assigns increasing seqs and lists events oldest first', async () => {
      const events = Array.from({ length: 6 }, (_, i) => sampleEvent({ subject: `ses_${i}`, at: sampleTime + i }));
      await store.commit(events.slice(0, 3).map(append));
      await store.commit(events.slice(3).map(append));
      const listed = await store.listEvents({ limit: 100 });

      expect(listed.map(({ seq: _seq, ...e }) => e)).toEqual(events);
      const seqs = listed.map((e) => e.seq);
      expect(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] ?? Infinity))).toBe(true);
    });

    it('pages through every event with afterSeq', async () => {
      const events = Array.from({ length: 25 }, (_, i) => sampleEvent({ subject: `e${i}` }));
      await store.commit(events.map(append));
      const seen: string[] = [];
      let afterSeq: number | undefined;
      for (;;) {
        const page = await store.listEvents({ limit: 10, ...(afterSeq === undefined ? {} : { afterSeq }) });
        if (page.length === 0) break;
        seen.push(...page.map((e) => e.subject));
        afterSeq = page.at(-1)?.seq;
      }
      expect(seen).toEqual(events.map((e) => e.subject));
    });

    it('filters events by fleet and keeps fleet-less events', async () => {
      await store.commit([
        append(sampleEvent({ subject: 'a', fleet: 'arena' })),
        append(sampleEvent({ subject: 'b', fleet: null, kind: 'control.started' })),
        append(sampleEvent({ subject: 'c', fleet: 'other' })),
        append(sampleEvent({ subject: 'd', fleet: 'arena' })),
      ]);
      expect((await store.listEvents({ limit: 10, fleet: 'arena' })).map((e) => e.subject)).toEqual(['a', 'd']);
      const all = await store.listEvents({ limit: 10 });
      expect(all.find((e) => e.subject === 'b')?.fleet).toBeNull();
    });
  });

}
