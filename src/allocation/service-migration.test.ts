import { describe, expect, it } from 'vitest';
import type { AllocationRequest } from '../api/schemas.js';
import { FakeClock } from '../core/clock.js';
import type { Notice } from '../sdk/protocol.js';
import { SessionService } from '../session/service.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleServer, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { AllocationService } from './service.js';

const OPTS = { joinSecret: 'secret', joinTokenTtlMs: 60_000, idempotencyTtlMs: 60_000 };

/**
 * A fleet switched from v1 to v2 whose v1 server `old` hosted alice and bob (party `duo`) and
 * carol, migrated at the deadline with tokens to v2; v2 has `n1` (3 of 4 seats used) and `n2` (empty).
 */
async function migrated() {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:');
  const world = new World();
  for (const id of ['v1', 'v2']) world.putBuild(sampleBuild({ id, compatibleClients: '*' }));
  world.fleets.set('arena', sampleFleet({ name: 'arena', currentBuild: 'v1', region: null, routing: { entries: [{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }] } }));
  world.putServer(sampleServer({ id: 'old', build: 'v1', token: 't-old' }));
  world.putServer(sampleServer({ id: 'n1', build: 'v2', token: 't-n1' }));
  world.putServer(sampleServer({ id: 'n2', build: 'v2', state: 'Ready', token: 't-n2' }));
  for (const [id, playerId, partyId] of [['a', 'alice', 'duo'], ['b', 'bob', 'duo'], ['c', 'carol', null]] as const) {
    world.addSession(sampleSession({ id: `ses_${id}`, server: 'old', build: 'v1', playerId, partyId }));
  }
  for (const p of ['x', 'y', 'z']) world.addSession(sampleSession({ id: `ses_${p}`, server: 'n1', build: 'v2', playerId: p, partyId: null }));
  const notices: Notice[] = [];
  const persister = new Persister(store);
  const ctx: Ctx = { world, clock, store, persister, notify: (_id, n) => notices.push(n) };
  const sessions = new SessionService(ctx, { joinSecret: 'secret', reservationTtlMs: 60_000 });
  await persister.persist([
    ...[...world.builds.values()].map((build) => ({ kind: 'putBuild' as const, build })),
    ...[...world.fleets.values()].map((fleet) => ({ kind: 'putFleet' as const, fleet })),
    ...[...world.servers.values()].map((server) => ({ kind: 'putServer' as const, server })),
    ...[...world.sessions.values()].map((session) => ({ kind: 'putSession' as const, session })),
  ]);
  await persister.persist(sessions.migrateInMemory(['old'], { build: 'v2', tokenTtlMs: 120_000 }, clock.now()));
  const closed = notices.find((n) => n.type === 'sessions-closed');
  const tokens = closed?.type === 'sessions-closed' ? (closed.tokens ?? {}) : {};
  return { clock, store, world, ctx, sessions, tokens, alloc: new AllocationService(ctx, OPTS) };
}

const request = (playerId: string, migrationToken: string | null, over: Partial<AllocationRequest> = {}): AllocationRequest => ({
  fleet: 'arena', playerId, partyId: null, clientVersion: null, region: null, attributes: {}, idempotencyKey: null, migrationToken, ...over,
});

describe('allocations with a migration token', () => {
  it('tells the old server which players went, with a token for each, and keeps the token on the closed session', async () => {
    const { tokens, store } = await migrated();
    expect(Object.keys(tokens).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(await store.getSession('ses_a')).toMatchObject({ state: 'Closed', closeReason: 'migrated', migrationToken: tokens.alice });
  });

  it('lands a migrated party on the new build together, on a server with room for both', async () => {
    const { alloc, tokens, store } = await migrated();
    const alice = await alloc.allocate(request('alice', tokens.alice ?? null));
    // n1 is fuller but has one seat; the party of two needs n2. Bob's matchmaker forgot the party: the token knows it.
    expect(alice.response.server).toMatchObject({ id: 'n2', build: 'v2' });
    const bob = await alloc.allocate(request('bob', tokens.bob ?? null));
    expect(bob.response.server.id).toBe('n2');
    expect(await store.getSession(bob.response.sessionId)).toMatchObject({ partyId: 'duo', migratedFrom: 'ses_b' });
  });

  it('refuses another player presenting a migrated player\'s token, and changes nothing', async () => {
    const { alloc, tokens, world } = await migrated();
    await expect(alloc.allocate(request('mallory', tokens.alice ?? null))).rejects.toMatchObject({ code: 'MIGRATION_TOKEN_INVALID', status: 403, details: { reason: 'other-player' } });
    expect(world.openSessionOf('arena', 'mallory')).toBeUndefined();
    expect(world.migrationTokens.get('ses_a')?.usedAt).toBeNull();
    // The rightful player can still use it.
    expect((await alloc.allocate(request('alice', tokens.alice ?? null))).response.server.build).toBe('v2');
  });

  it('refuses a second use of a token, also after a restart of the control plane', async () => {
    const { alloc, tokens, sessions, store, clock, ctx } = await migrated();
    const first = await alloc.allocate(request('carol', tokens.carol ?? null));
    await sessions.close(first.response.sessionId, 'api');
    await expect(alloc.allocate(request('carol', tokens.carol ?? null))).rejects.toMatchObject({ code: 'MIGRATION_TOKEN_INVALID', details: { reason: 'used' } });
    // A new process: the world comes back from the store alone.
    const world = World.fromSnapshot(await store.load(clock.now()));
    const restarted = new AllocationService({ ...ctx, world }, OPTS);
    await expect(restarted.allocate(request('carol', tokens.carol ?? null))).rejects.toMatchObject({ code: 'MIGRATION_TOKEN_INVALID', details: { reason: 'used' } });
  });

  it('refuses an expired token', async () => {
    const { alloc, tokens, clock } = await migrated();
    clock.advance(120_000);
    await expect(alloc.allocate(request('carol', tokens.carol ?? null))).rejects.toMatchObject({ code: 'MIGRATION_TOKEN_INVALID', details: { reason: 'expired' } });
  });

  it('holds a seat on the new build for each migrated player until they use their token', async () => {
    const { alloc, tokens } = await migrated();
    // Free on v2: 1 + 4 = 5 seats, 3 of them held.
    await alloc.allocate(request('dave', null));
    await alloc.allocate(request('erin', null));
    await expect(alloc.allocate(request('frank', null))).rejects.toMatchObject({ code: 'NO_CAPACITY' });
    for (const p of ['alice', 'bob', 'carol']) expect((await alloc.allocate(request(p, tokens[p] ?? null))).response.server.build).toBe('v2');
  });
});
