import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleServer, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { signJoinToken } from './join-token.js';
import { SessionService } from './service.js';

function setup() {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:');
  const world = new World();
  world.putBuild(sampleBuild({ id: 'v1' }));
  world.fleets.set('arena', sampleFleet({ name: 'arena', currentBuild: 'v1' }));
  world.putServer(sampleServer({ id: 'srv_a', fleet: 'arena', build: 'v1', state: 'Ready', token: 'tok-a', emptySince: clock.now() }));
  const notices: unknown[] = [];
  const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: (id, n) => notices.push([id, n]) };
  const service = new SessionService(ctx, { joinSecret: 'secret', reservationTtlMs: 60_000 });
  const reserve = (id: string, playerId: string) =>
    world.addSession(sampleSession({ id, fleet: 'arena', server: 'srv_a', build: 'v1', playerId, state: 'Reserved', openedAt: clock.now(), connectedAt: null, closedAt: null, closeReason: null }));
  return { clock, store, world, service, reserve, notices };
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
    const { clock, world, service, reserve } = setup();
    reserve('s1', 'p1');
    const token = signJoinToken('secret', { sessionId: 's1', serverId: 'srv_a', playerId: 'p1', exp: clock.now() + 60_000 });
    await service.started('srv_a', 'p1', token);
    clock.advance(10 * 60_000);
    expect(service.expireReservations(clock.now())).toEqual([]);
    expect(world.sessions.get('s1')?.state).toBe('Connected');
  });

  it('refuses a join token for another player with JOIN_TOKEN_INVALID', async () => {
    const { clock, service, reserve } = setup();
    reserve('s1', 'p1');
    const token = signJoinToken('secret', { sessionId: 's1', serverId: 'srv_a', playerId: 'someone-else', exp: clock.now() + 60_000 });
    await expect(service.started('srv_a', 'p1', token)).rejects.toMatchObject({ code: 'JOIN_TOKEN_INVALID' });
  });

  it('refuses a player with no seat on this server with SESSION_NOT_ALLOCATED', async () => {
    const { service } = setup();
    await expect(service.started('srv_a', 'stranger', null)).rejects.toMatchObject({ code: 'SESSION_NOT_ALLOCATED' });
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
