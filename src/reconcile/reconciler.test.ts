import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { RolloutService } from '../rollout/service.js';
import type { RuntimeProvider } from '../runtime/port.js';
import { SessionService } from '../session/service.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleServer, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { FleetReconciler } from './reconciler.js';
import { ServerService } from '../fleet/servers.js';

/** A runtime that runs nothing and records what it was asked: these servers have no process. */
function recordingRuntime(asked: string[]): RuntimeProvider {
  return {
    kind: 'recording',
    start: async (l) => {
      asked.push(`start ${l.build.id}`);
      throw new Error('no processes in this test');
    },
    stop: async (id) => void asked.push(`stop ${id}`),
    adopt: async () => ({ adopted: [], gone: [] }),
    find: async () => undefined,
    onExit: () => undefined,
    close: async () => undefined,
  };
}

const running: FleetReconciler[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

function setup() {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:');
  const world = new World();
  world.putBuild(sampleBuild({ id: 'v1' }));
  world.fleets.set('arena', sampleFleet({
    name: 'arena', currentBuild: 'v1', routing: { entries: [{ build: 'v1', weight: 100 }] },
    capacity: { minServers: 2, maxServers: 4, bufferServers: 0, idleTimeoutSeconds: 600 },
    health: { timeoutSeconds: 15, startTimeoutSeconds: 60, stopGraceSeconds: 5 },
  }));
  const now = clock.now();
  const server = { fleet: 'arena', build: 'v1', pid: null, identity: null, createdAt: now - 60_000, lastHealthAt: now };
  world.putServer(sampleServer({ ...server, id: 'srv_empty', token: 't1', state: 'Ready', emptySince: now }));
  world.putServer(sampleServer({ ...server, id: 'srv_busy', token: 't2', state: 'Active', emptySince: null }));
  world.addSession(sampleSession({ id: 'ses_1', fleet: 'arena', server: 'srv_busy', build: 'v1', playerId: 'p1', partyId: null }));
  const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: () => undefined };
  const asked: string[] = [];
  const sessions = new SessionService(ctx, { joinSecret: 's', reservationTtlMs: 60_000 });
  const rollouts = new RolloutService(ctx, sessions, { cwd: process.cwd(), kick: () => undefined });
  const servers = new ServerService(ctx, recordingRuntime(asked), sessions, { sdkUrls: () => [], backoffBaseMs: 1, backoffMaxMs: 1, kick: () => undefined });
  const reconciler = new FleetReconciler(ctx, clock, servers, sessions, rollouts, { intervalMs: 100, onError: (e) => { throw e; } });
  running.push(reconciler);
  /** Runs the control plane for `ms` of fake time; `ping` lists the servers that send health meanwhile. */
  const run = async (ms: number, ping: string[] = ['srv_empty', 'srv_busy']) => {
    for (let t = 0; t < ms; t += 100) {
      for (const id of ping) servers.health(id);
      clock.advance(100);
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
  };
  const states = () => [...world.servers.values()].map((s) => `${s.id} ${s.state}`).sort();
  const events = async () => (await store.listEvents({ limit: 1000 })).map((e) => `${e.kind} ${e.subject}`);
  return { clock, reconciler, run, states, events, asked };
}

describe('FleetReconciler after the control plane itself stalled', () => {
  it('marks no server unhealthy and stops none after a 20 s pause, though all look silent', async () => {
    const { clock, reconciler, run, states, events, asked } = setup();
    reconciler.start();
    await run(2_000);
    expect(states()).toEqual(['srv_busy Active', 'srv_empty Ready']);

    // SIGSTOP for 20 s: no timer, no socket, no ping is handled until the process resumes.
    clock.jump(20_000);
    // The first thing to run on resume is the reconciler (its timer was due first); the pings
    // queued in the sockets arrive a moment later.
    clock.advance(0);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    await run(5_000);

    expect(states()).toEqual(['srv_busy Active', 'srv_empty Ready']);
    expect(await events()).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('still marks a server that stays silent a full window after the pause Unhealthy', async () => {
    const { clock, reconciler, run, states, events } = setup();
    reconciler.start();
    await run(2_000);
    clock.jump(20_000);
    // Only the empty server's pings come back after the pause.
    await run(14_000, ['srv_empty']);
    expect(states()).toEqual(['srv_busy Active', 'srv_empty Ready']);
    await run(2_000, ['srv_empty']);
    expect(states()).toEqual(['srv_busy Unhealthy', 'srv_empty Ready']);
    // (Its replacement fails to start here: this runtime runs nothing.)
    expect((await events()).filter((e) => e.startsWith('server.unhealthy'))).toEqual(['server.unhealthy srv_busy']);
  });

  it('marks every server Unhealthy when the whole fleet goes silent at once while the control plane keeps time', async () => {
    // Silence from every server is not evidence that the control plane stalled: only its own late
    // heartbeat is (a fleet-wide hang, a network cut to the game hosts must still be noticed).
    const { reconciler, run, states, events, asked } = setup();
    reconciler.start();
    await run(2_000);
    // Last pings at 1.9 s: a 15 s deadline is missed just after 16.9 s.
    await run(14_900, []);
    expect(states()).toEqual(['srv_busy Active', 'srv_empty Ready']);
    await run(300, []);
    // The empty one is being stopped already (Draining), the busy one keeps its player.
    expect(states()).toEqual(['srv_busy Unhealthy', 'srv_empty Draining']);
    expect((await events()).filter((e) => e.startsWith('server.unhealthy')).sort()).toEqual(['server.unhealthy srv_busy', 'server.unhealthy srv_empty']);
    // And replaced (the starts fail here: this runtime runs nothing).
    expect(asked.filter((a) => a === 'start v1').length).toBeGreaterThan(0);
  });
});

describe('FleetReconciler after a restart whose store lost sessions', () => {
  function setupRetiring() {
    const clock = new FakeClock();
    const store = SqliteStore.open(':memory:');
    const world = new World();
    world.putBuild(sampleBuild({ id: 'v1' }));
    world.putBuild(sampleBuild({ id: 'v2' }));
    // v1 takes no new sessions: its servers retire once idle for 1 s.
    world.fleets.set('arena', sampleFleet({
      name: 'arena', currentBuild: 'v2', routing: { entries: [{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }] },
      capacity: { minServers: 2, maxServers: 4, bufferServers: 0, idleTimeoutSeconds: 1 },
      health: { timeoutSeconds: 15, startTimeoutSeconds: 60, stopGraceSeconds: 5 },
    }));
    const now = clock.now();
    const base = { fleet: 'arena', pid: null, identity: null, createdAt: now - 60_000, lastHealthAt: now, state: 'Ready' as const, emptySince: now - 60_000 };
    // The store lost the sessions on srv_old: it looks empty and idle.
    world.putServer(sampleServer({ ...base, id: 'srv_old', build: 'v1', token: 't0' }));
    world.putServer(sampleServer({ ...base, id: 'srv_n1', build: 'v2', token: 't1' }));
    world.putServer(sampleServer({ ...base, id: 'srv_n2', build: 'v2', token: 't2' }));
    const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: () => undefined };
    const sessions = new SessionService(ctx, { joinSecret: 's', reservationTtlMs: 60_000 });
    const rollouts = new RolloutService(ctx, sessions, { cwd: process.cwd(), kick: () => undefined });
    const servers = new ServerService(ctx, recordingRuntime([]), sessions, { sdkUrls: () => [], backoffBaseMs: 1, backoffMaxMs: 1, kick: () => undefined });
    const reconciler = new FleetReconciler(ctx, clock, servers, sessions, rollouts, { intervalMs: 100, onError: (e) => { throw e; } });
    running.push(reconciler);
    const run = async (ms: number) => {
      for (let t = 0; t < ms; t += 100) {
        for (const id of world.servers.keys()) servers.health(id);
        clock.advance(100);
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      }
    };
    const oldState = () => world.servers.get('srv_old')?.state;
    return { reconciler, sessions, world, run, oldState };
  }

  it('keeps an adopted server until observed, brings back its players from its roster, and retires it only once they left', async () => {
    const { reconciler, sessions, world, run, oldState } = setupRetiring();
    // As ServerService.recover() does for every server it re-adopts.
    sessions.rosters.markUnverified('srv_old');
    reconciler.start();
    await run(3_000);
    expect(oldState()).toBe('Ready');

    // Its SDK reconnects its watch and reports the player the store forgot.
    await sessions.reportRoster('srv_old', { players: ['p1'], sessions: { p1: 'ses_lost' } });
    await run(3_000);
    expect(oldState()).toBe('Active');
    expect(world.sessions.get('ses_lost')?.state).toBe('Connected');

    await sessions.ended('srv_old', 'p1', 'ended', 'ses_lost');
    await run(3_000);
    expect(world.servers.get('srv_old')).toMatchObject({ state: 'Draining', drainReason: 'retired' });
  });

  it('retires an adopted server once its roster says it is empty', async () => {
    const { reconciler, sessions, run, oldState } = setupRetiring();
    sessions.rosters.markUnverified('srv_old');
    reconciler.start();
    await run(2_000);
    expect(oldState()).toBe('Ready');
    await sessions.reportRoster('srv_old', { players: [], sessions: {} });
    await run(2_000);
    expect(oldState()).toBe('Draining');
  });
});
