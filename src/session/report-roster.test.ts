import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import type { Notice } from '../sdk/protocol.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleServer, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Session } from './model.js';
import { SessionService } from './service.js';

function setup() {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:');
  const world = new World();
  world.putBuild(sampleBuild({ id: 'v1' }));
  world.fleets.set('arena', sampleFleet({ name: 'arena', currentBuild: 'v1' }));
  for (const id of ['srv_a', 'srv_b']) {
    world.putServer(sampleServer({ id, fleet: 'arena', build: 'v1', state: 'Ready', token: `tok-${id}`, emptySince: clock.now() - 60_000 }));
  }
  const notices: [string, Notice][] = [];
  const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: (id, n) => notices.push([id, n]) };
  const service = new SessionService(ctx, { joinSecret: 'secret', reservationTtlMs: 60_000 });
  /** An open session both in memory and in the store, as after a clean restart. */
  const open = async (over: Partial<Session>) => {
    const s = sampleSession({ fleet: 'arena', server: 'srv_a', build: 'v1', partyId: null, openedAt: clock.now() - 60_000, connectedAt: clock.now() - 50_000, ...over });
    world.addSession(s);
    await store.commit([{ kind: 'putSession', session: s }]);
    return s;
  };
  const events = async () => (await store.listEvents({ limit: 100 })).map((e) => `${e.kind} ${e.subject}`);
  return { clock, store, world, service, notices, open, events };
}

describe('SessionService.reportRoster', () => {
  it('brings back a session the store lost, under the id the game server knows, and the server hosts it again', async () => {
    const { world, store, service, events } = setup();
    // The store lost ses_lost (a damaged WAL): the server looks empty, Ready since a minute.
    service.rosters.markUnverified('srv_a');
    await service.reportRoster('srv_a', { players: ['p1'], sessions: { p1: 'ses_lost' } });

    expect(world.sessions.get('ses_lost')).toMatchObject({ playerId: 'p1', server: 'srv_a', state: 'Connected' });
    expect(await store.getSession('ses_lost')).toMatchObject({ state: 'Connected' });
    expect(world.servers.get('srv_a')).toMatchObject({ state: 'Active', emptySince: null });
    expect(service.rosters.isUnverified('srv_a')).toBe(false);
    expect(service.rosters.size('srv_a')).toBe(1);
    expect(await events()).toEqual(['session.recovered ses_lost', 'server.roster srv_a']);
  });

  it('lets the game server end a recovered session with the id it already had', async () => {
    const { world, service } = setup();
    await service.reportRoster('srv_a', { players: ['p1'], sessions: { p1: 'ses_lost' } });
    await service.ended('srv_a', 'p1', 'ended', 'ses_lost');
    expect(world.sessions.has('ses_lost')).toBe(false);
    expect(service.rosters.size('srv_a')).toBe(0);
    expect(world.servers.get('srv_a')?.state).toBe('Ready');
  });

  it('confirms a Reserved session whose confirmation the store lost', async () => {
    const { world, service, open } = setup();
    await open({ id: 's1', playerId: 'p1', state: 'Reserved', connectedAt: null });
    await service.reportRoster('srv_a', { players: ['p1'], sessions: { p1: 's1' } });
    expect(world.sessions.get('s1')?.state).toBe('Connected');
  });

  it('closes as `roster` a Connected session whose player the server no longer has, and leaves Reserved ones', async () => {
    const { world, store, service, open } = setup();
    await open({ id: 's1', playerId: 'gone' });
    await open({ id: 's2', playerId: 'coming', state: 'Reserved', connectedAt: null });
    await service.reportRoster('srv_a', { players: [], sessions: {} });
    expect(await store.getSession('s1')).toMatchObject({ state: 'Closed', closeReason: 'roster' });
    expect(world.sessions.get('s2')?.state).toBe('Reserved');
  });

  it('keeps a player whose open session is on another server there, and this server occupied until they leave', async () => {
    const { world, service, open } = setup();
    await open({ id: 's1', playerId: 'p1', server: 'srv_b' });
    await service.reportRoster('srv_a', { players: ['p1'], sessions: {} });
    expect(world.openSessionOf('arena', 'p1')?.id).toBe('s1');
    expect(world.used('srv_a')).toBe(0);
    expect(service.rosters.holds('srv_a')).toBe(true);
    await service.ended('srv_a', 'p1', 'disconnected', null);
    expect(world.openSessionOf('arena', 'p1')?.id).toBe('s1');
    expect(service.rosters.holds('srv_a')).toBe(false);
  });

  it('does not bring back a session the control plane closed, and tells the server again to let the player go', async () => {
    const { world, service, open, notices } = setup();
    await open({ id: 's1', playerId: 'p1' });
    await service.close('s1', 'api');
    notices.length = 0;
    await service.reportRoster('srv_a', { players: ['p1'], sessions: { p1: 's1' } });
    expect(world.sessions.has('s1')).toBe(false);
    expect(service.rosters.size('srv_a')).toBe(0);
    expect(notices).toEqual([['srv_a', expect.objectContaining({ type: 'sessions-closed', players: ['p1'] })]]);
  });

  it('refuses a roster from an unknown server with SERVER_NOT_FOUND', async () => {
    const { service } = setup();
    await expect(service.reportRoster('srv_nope', { players: [], sessions: {} })).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND' });
  });
});

describe('an adopted server on an SDK that cannot report rosters', () => {
  it('stays unverified until a session end from it leaves it empty', async () => {
    const { service, open } = setup();
    await open({ id: 's1', playerId: 'p1' });
    await open({ id: 's2', playerId: 'p2' });
    service.rosters.markUnverified('srv_a');
    await service.ended('srv_a', 'p1', 'ended', null);
    expect(service.rosters.isUnverified('srv_a')).toBe(true);
    await service.ended('srv_a', 'p2', 'ended', null);
    expect(service.rosters.isUnverified('srv_a')).toBe(false);
  });

  it('is not verified by an end report about a player the store does not know', async () => {
    const { service } = setup();
    service.rosters.markUnverified('srv_a');
    await service.ended('srv_a', 'stranger', 'ended', null);
    expect(service.rosters.isUnverified('srv_a')).toBe(true);
  });
});
