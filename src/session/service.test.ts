import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleServer, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { JoinTokenPolicy } from '../fleet/model.js';
import { signJoinToken, type JoinClaims } from './join-token.js';
import { SessionService } from './service.js';

function setup(joinTokens: JoinTokenPolicy = 'required') {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:');
  const world = new World();
  world.putBuild(sampleBuild({ id: 'v1' }));
  world.fleets.set('arena', sampleFleet({ name: 'arena', currentBuild: 'v1', joinTokens }));
  world.putServer(sampleServer({ id: 'srv_a', fleet: 'arena', build: 'v1', state: 'Ready', token: 'tok-a', emptySince: clock.now() }));
  world.putServer(sampleServer({ id: 'srv_b', fleet: 'arena', build: 'v1', state: 'Ready', token: 'tok-b', emptySince: clock.now() }));
  const notices: unknown[] = [];
  const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: (id, n) => notices.push([id, n]) };
  const service = new SessionService(ctx, { joinSecret: 'secret', reservationTtlMs: 60_000 });
  const reserve = (id: string, playerId: string) =>
    world.addSession(sampleSession({ id, fleet: 'arena', server: 'srv_a', build: 'v1', playerId, state: 'Reserved', openedAt: clock.now(), connectedAt: null, closedAt: null, closeReason: null }));
  /** A token as the allocator signs it; override a claim to forge a wrong one. */
  const token = (claims: Partial<JoinClaims> = {}, secret = 'secret') =>
    signJoinToken(secret, { sessionId: 's1', serverId: 'srv_a', playerId: 'p1', exp: clock.now() + 60_000, ...claims });
  return { clock, store, world, service, reserve, notices, token };
}

describe('SessionService', () => {
  it('releases a seat nobody connected to once the reservation TTL has passed, and not before', async () => {
    const { clock, world, service, reserve } = setup();
    reserve('s1', 'p1');
    clock.advance(30_000);
    reserve('s2', 'p2');
    clock.advance(30_000);
    expect(service.expireReservations(clock.now())).toEqual([]);
    clock.advance(1);
    const m = service.expireReservations(clock.now());
    expect(m.find((x) => x.kind === 'putSession')).toMatchObject({ session: { id: 's1', state: 'Closed', closeReason: 'expired' } });
    expect(world.sessions.has('s1')).toBe(false);
    expect(world.sessions.has('s2')).toBe(true);
  });

  it('gives a reservation a full TTL after a pause of the control plane, since the player may be confirming it', () => {
    const { clock, world, service, reserve } = setup();
    reserve('s1', 'p1');
    clock.advance(50_000);
    // Paused for 20 s; it resumes at `resumedAt`.
    clock.jump(20_000);
    const resumedAt = clock.now();
    expect(service.expireReservations(clock.now(), resumedAt)).toEqual([]);
    clock.advance(60_000);
    expect(service.expireReservations(clock.now(), resumedAt)).toEqual([]);
    clock.advance(1);
    expect(service.expireReservations(clock.now(), resumedAt).find((x) => x.kind === 'putSession')).toMatchObject({ session: { id: 's1', closeReason: 'expired' } });
    expect(world.sessions.has('s1')).toBe(false);
  });

  it('never expires a session the game server confirmed', async () => {
    const { clock, world, service, reserve, token } = setup();
    reserve('s1', 'p1');
    await service.started('srv_a', 'p1', token());
    clock.advance(10 * 60_000);
    expect(service.expireReservations(clock.now())).toEqual([]);
    expect(world.sessions.get('s1')?.state).toBe('Connected');
  });

  it.each<[string, string, (t: ReturnType<typeof setup>) => string | null]>([
    ['no token at all', 'JOIN_TOKEN_REQUIRED', () => null],
    ['a token signed with another secret', 'JOIN_TOKEN_INVALID', (t) => t.token({}, 'not-the-secret')],
    ['a token whose expiry was pushed back without the secret', 'JOIN_TOKEN_INVALID', (t) => {
      const claims: JoinClaims = { sessionId: 's1', serverId: 'srv_a', playerId: 'p1', exp: t.clock.now() + 86_400_000 };
      return `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${t.token().split('.')[1]}`;
    }],
    ['an expired token', 'JOIN_TOKEN_INVALID', (t) => t.token({ exp: t.clock.now() })],
    ['a token for another server', 'JOIN_TOKEN_INVALID', (t) => t.token({ serverId: 'srv_b' })],
    ['a token for another player', 'JOIN_TOKEN_INVALID', (t) => t.token({ playerId: 'someone-else' })],
    ['a token for another session of the player', 'JOIN_TOKEN_INVALID', (t) => t.token({ sessionId: 's0' })],
  ])('refuses a player who presents %s with %s, and the seat stays reserved', async (_name, code, make) => {
    const t = setup();
    t.reserve('s1', 'p1');
    await expect(t.service.started('srv_a', 'p1', make(t))).rejects.toMatchObject({ code });
    expect(t.world.sessions.get('s1')?.state).toBe('Reserved');
    expect(await t.store.getSession('s1')).toBeUndefined();
  });

  it('connects a player on a fleet that opted out of join tokens without one, but still verifies a token it is given', async () => {
    const t = setup('optional');
    t.reserve('s1', 'p1');
    await expect(t.service.started('srv_a', 'p1', t.token({ playerId: 'someone-else' }))).rejects.toMatchObject({ code: 'JOIN_TOKEN_INVALID' });
    await t.service.started('srv_a', 'p1', null);
    expect(t.world.sessions.get('s1')?.state).toBe('Connected');
  });

  it('answers a repeat for the same connected session from the same server with the same view (an SDK retry), changing nothing', async () => {
    const t = setup();
    t.reserve('s1', 'p1');
    const first = await t.service.started('srv_a', 'p1', t.token());
    const connectedAt = t.world.sessions.get('s1')?.connectedAt;
    t.clock.advance(1_000);
    expect(await t.service.started('srv_a', 'p1', t.token())).toEqual(first);
    expect(t.world.sessions.get('s1')).toMatchObject({ state: 'Connected', connectedAt });
    expect(await t.store.getSession('s1')).toMatchObject({ state: 'Connected', connectedAt });
  });

  it('refuses a token once its session has closed, even before it expires, and after the player was given a new session', async () => {
    const t = setup();
    t.reserve('s1', 'p1');
    const used = t.token();
    await t.service.started('srv_a', 'p1', used);
    await t.service.ended('srv_a', 'p1', 'ended', 's1');
    await expect(t.service.started('srv_a', 'p1', used)).rejects.toMatchObject({ code: 'SESSION_NOT_ALLOCATED' });
    t.reserve('s2', 'p1');
    await expect(t.service.started('srv_a', 'p1', used)).rejects.toMatchObject({ code: 'JOIN_TOKEN_INVALID' });
    await t.service.started('srv_a', 'p1', t.token({ sessionId: 's2' }));
  });

  it('refuses a player with no seat on this server with SESSION_NOT_ALLOCATED', async () => {
    const t = setup();
    await expect(t.service.started('srv_a', 'stranger', t.token({ playerId: 'stranger' }))).rejects.toMatchObject({ code: 'SESSION_NOT_ALLOCATED' });
    t.reserve('s1', 'p1');
    await expect(t.service.started('srv_b', 'p1', t.token({ serverId: 'srv_b' }))).rejects.toMatchObject({ code: 'SESSION_NOT_ALLOCATED' });
  });

  it('turns the server Active with its first session and Ready again, empty since then, when the last ends', async () => {
    const { clock, world, service, reserve } = setup();
    reserve('s1', 'p1');
    const { occupancyChanged } = await import('./service.js');
    occupancyChanged({ world }, 'srv_a', clock.now());
    expect(world.servers.get('srv_a')).toMatchObject({ state: 'Active', emptySince: null });
    clock.advance(5000);
    await service.ended('srv_a', 'p1', 'ended');
    expect(world.servers.get('srv_a')).toMatchObject({ state: 'Ready', emptySince: clock.now() });
  });

  it('ignores a late end report about an older session of the same player', async () => {
    const { world, service, reserve } = setup();
    reserve('s-new', 'p1');
    await service.ended('srv_a', 'p1', 'ended', 's-old');
    expect(world.sessions.has('s-new')).toBe(true);
    await service.ended('srv_a', 'p1', 'ended', 's-new');
    expect(world.sessions.has('s-new')).toBe(false);
  });

  it('tells the game server when the API closes one of its sessions', async () => {
    const { service, reserve, notices } = setup();
    reserve('s1', 'p1');
    await service.close('s1', 'api');
    expect(notices).toEqual([['srv_a', expect.objectContaining({ type: 'sessions-closed', players: ['p1'], reason: 'api' })]]);
  });
});
