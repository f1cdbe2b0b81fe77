/**
 * Gentle migration against a real control plane, real game-server processes and the current
 * SDK client watching as the game server would: a dynamic pool whose old build still hosts a
 * party and a solo player when its migration trigger fires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandoffSdk } from '../../src/sdk/client.js';
import type { Notice } from '../../src/sdk/protocol.js';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type Json, type TestPlane } from '../support/control-plane.js';

describe('a gentle migration', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 44_100 });
    await t.call('POST', '/v1/apply', { builds: [fixtureBuild('v1'), fixtureBuild('v2')], fleets: [fleetSpec('arena', 'v1', { minServers: 1, maxServers: 3 })] });
    await waitFor(async () => (await t.call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready === 1, 'a Ready v1 server');
  });
  afterAll(() => t.close());

  it('warns before the deadline, lands the migrated players on the new build with their party, and their tokens serve no one else', async () => {
    const old = [...t.cp.world.servers.values()].find((s) => s.build === 'v1' && s.state === 'Ready');
    if (!old) throw new Error('no v1 server');
    // The test plays the old server's game: it confirms its players and watches its notices.
    const sdk = new HandoffSdk({ url: t.cp.sdkUrl, token: old.token, serverId: old.id });
    const heard: { at: number; notice: Notice }[] = [];
    const watch = sdk.watch((notice) => heard.push({ at: Date.now(), notice }));
    try {
      const before: Record<string, Json> = {};
      for (const [playerId, partyId] of [['alice', 'duo'], ['bob', 'duo'], ['carol', null]] as const) {
        const a = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId, partyId });
        expect(a.body.server.id).toBe(old.id);
        await sdk.sessionStarted(playerId, a.body.joinToken);
        before[playerId] = a.body;
      }

      const started = await t.call('POST', '/v1/rollouts', {
        fleet: 'arena', build: 'v2', strategy: 'dynamic-pool', servers: 2, oldIdleSeconds: 0,
        migration: { afterSeconds: 1, noticeSeconds: 2, tokenTtlSeconds: 60 },
      });
      expect(started.status).toBe(201);
      await waitFor(async () => (await t.call('GET', `/v1/rollouts/${started.body.id}`)).body.phase === 'Progressing', 'the new servers to join the pool');
      // New players fill the newest build first, packing onto one server: 3 of its 4 seats.
      const fresh = [];
      for (const playerId of ['dave', 'erin', 'frank']) fresh.push((await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId })).body);
      expect(fresh.map((a) => a.server.build)).toEqual(['v2', 'v2', 'v2']);
      const packed = fresh[0].server.id;
      expect(new Set(fresh.map((a) => a.server.id))).toEqual(new Set([packed]));

      // The notice reaches the old server before its deadline, naming the new build.
      const notice = await waitFor(() => heard.find((h) => h.notice.type === 'migrate'), 'the migrate notice');
      const rollout = (await t.call('GET', `/v1/rollouts/${started.body.id}`)).body;
      expect(notice.notice).toEqual({ type: 'migrate', build: 'v2', deadline: rollout.migrationDeadline, at: expect.any(Number) });
      expect(rollout.migrationDeadline - notice.at).toBeGreaterThanOrEqual(1_500);
      for (const p of ['alice', 'bob', 'carol']) expect((await t.call('GET', `/v1/sessions/${before[p].sessionId}`)).body.state).toBe('Connected');

      // At the deadline the server hears which players went, each with a token.
      const closed = await waitFor(() => heard.find((h) => h.notice.type === 'sessions-closed'), 'the sessions-closed notice');
      if (closed.notice.type !== 'sessions-closed') throw new Error('unreachable');
      expect(closed.at).toBeGreaterThanOrEqual(rollout.migrationDeadline);
      expect(closed.notice).toMatchObject({ reason: 'migrated', players: expect.arrayContaining(['alice', 'bob', 'carol']) });
      const tokens = closed.notice.tokens ?? {};
      // The matchmaker finds the same token on the closed session.
      expect((await t.call('GET', `/v1/sessions/${before.alice.sessionId}`)).body).toMatchObject({ state: 'Closed', closeReason: 'migrated', migrationToken: tokens.alice });

      // Another player cannot use Alice's token: refused, nothing allocated.
      const stolen = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'mallory', partyId: 'duo', migrationToken: tokens.alice });
      expect(stolen.status).toBe(403);
      expect(stolen.body.error).toMatchObject({ code: 'MIGRATION_TOKEN_INVALID', details: { reason: 'other-player' } });
      expect((await t.call('GET', '/v1/sessions?fleet=arena&playerId=mallory')).body.items).toEqual([]);

      // The party lands together on the new build; Bob's matchmaker does not even name the party.
      const alice = (await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'alice', partyId: 'duo', migrationToken: tokens.alice })).body;
      const bob = (await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'bob', migrationToken: tokens.bob })).body;
      const carol = (await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'carol', migrationToken: tokens.carol })).body;
      expect([alice.server.build, bob.server.build, carol.server.build]).toEqual(['v2', 'v2', 'v2']);
      // Not the fuller server, whose one seat would have split them.
      expect(alice.server.id).not.toBe(packed);
      expect(bob.server.id).toBe(alice.server.id);
      expect((await t.call('GET', `/v1/sessions/${bob.sessionId}`)).body).toMatchObject({ partyId: 'duo', migratedFrom: before.bob.sessionId });

      // Used once: after Alice's new session ends, her token places no one again.
      expect((await t.call('DELETE', `/v1/sessions/${alice.sessionId}`)).status).toBe(200);
      const again = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'alice', migrationToken: tokens.alice });
      expect(again.body.error).toMatchObject({ code: 'MIGRATION_TOKEN_INVALID', details: { reason: 'used' } });

      // The emptied old server retires and the pool release completes; nobody was cut off.
      await waitFor(async () => (await t.call('GET', `/v1/rollouts/${started.body.id}`)).body.phase === 'Completed', 'the release to complete');
      const events = (await t.call('GET', '/v1/events?fleet=arena&limit=1000')).body.items as Json[];
      expect(events.filter((e) => e.kind === 'session.closed' && ['server_stopped', 'server_crashed'].includes(e.data.reason))).toEqual([]);
    } finally {
      watch.close();
    }
  }, 45_000);
});
