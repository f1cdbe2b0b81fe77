/**
 * Host loss over the real server and session services, a real SQLite store and a fake clock:
 * what a silent host's servers and sessions become, pass by pass, and what its re-join does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { ServerService } from '../fleet/servers.js';
import { SimulatedHost } from '../runtime/simulated/host.js';
import { SimulatedRuntime } from '../runtime/simulated/simulated-runtime.js';
import { SessionService } from '../session/service.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleServer, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { HostLossService } from './loss-service.js';

const HB = 10_000;
const LOST = 60_000;
const TICK = 1_000;

describe('HostLossService', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  function setup(opts: { lastHeartbeatAgoMs?: number; agentLeft?: boolean } = {}) {
    const dir = mkdtempSync(path.join(tmpdir(), 'handoff-host-loss-'));
    const store = SqliteStore.open(path.join(dir, 'db.sqlite'));
    const clock = new FakeClock();
    const world = new World();
    world.putBuild(sampleBuild({ id: 'v1' }));
    world.fleets.set('arena', sampleFleet({ name: 'arena', currentBuild: 'v1' }));
    const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: () => undefined };
    const runtime = SimulatedRuntime.create({ host: new SimulatedHost({ clock, seed: 1 }), portRange: { from: 1, to: 100 }, address: '127.0.0.1', clock });
    const sessions = new SessionService(ctx, { joinSecret: 's', reservationTtlMs: 600_000 });
    const servers = new ServerService(ctx, runtime, sessions, { sdkUrls: () => [], backoffBaseMs: 1, backoffMaxMs: 1, kick: () => undefined });
    // Two hosts: `b` goes silent, `local` is the control plane's own.
    const hostOf = new Map([['srv_a', 'local'], ['srv_b1', 'b'], ['srv_b2', 'b']]);
    for (const id of hostOf.keys()) world.putServer(sampleServer({ id, fleet: 'arena', build: 'v1', state: 'Active', pid: 1, identity: 'x' }));
    world.addSession(sampleSession({ id: 'ses_1', server: 'srv_b1', playerId: 'p1', state: 'Connected', connectedAt: clock.now() }));
    const heartbeats = new Map([['b', clock.now() - (opts.lastHeartbeatAgoMs ?? 0)]]);
    const seen = { disconnected: [] as string[], resent: [] as string[], kicks: 0 };
    const service = new HostLossService(ctx, clock, {
      hosts: () => [{ id: 'local', lastHeartbeatAt: 0, alwaysAlive: true }, { id: 'b', lastHeartbeatAt: heartbeats.get('b') ?? 0, alwaysAlive: false, agentLeft: opts.agentLeft ?? false }],
      serversOn: (ids) => [...world.servers.values()].filter((s) => ids.has(hostOf.get(s.id) ?? '')).map((s) => ({
        id: s.id, host: hostOf.get(s.id) ?? '', terminal: s.state === 'Crashed' || s.state === 'Stopped', fenced: (s.fencedAt ?? null) !== null, stopRequested: s.stopRequestedAt !== null,
      })),
      sessionsOn: (ids) => ids.flatMap((id) => world.sessionsOn(id).map((s) => ({ id: s.id, server: s.server }))),
      fence: (id, host, now) => servers.fence(id, host, now),
      closeHostLost: (id, now) => sessions.closeInMemory(id, 'host_lost', now),
      disconnect: (host) => void seen.disconnected.push(host),
      resendStop: (id) => {
        seen.resent.push(id);
        servers.resendStop(id);
      },
      markUnverified: (id) => sessions.rosters.markUnverified(id),
      kick: () => void seen.kicks++,
      onError: (e) => {
        throw e;
      },
    }, { heartbeatTimeoutMs: HB, lostTimeoutMs: LOST, intervalMs: TICK });
    service.start();
    cleanup.push(async () => {
      await service.stop();
      await ctx.persister.drain();
      await runtime.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    /** Lets `ms` pass tick by tick, each pass committed before the next. */
    const run = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += TICK) {
        clock.advance(TICK);
        await service.settled();
      }
    };
    const kinds = async (): Promise<string[]> => (await store.listEvents({ limit: 1000 })).map((e) => `${e.kind} ${e.subject}${typeof e.data['reason'] === 'string' ? ` ${e.data['reason']}` : ''}`);
    const heartbeat = (): void => void heartbeats.set('b', clock.now());
    return { world, servers, sessions, service, clock, run, kinds, seen, heartbeat };
  }

  it('leaves a host heard within the heartbeat timeout alone', async () => {
    const { world, run, kinds, heartbeat } = setup();
    for (let i = 0; i < 5; i++) {
      await run(HB - TICK);
      heartbeat();
    }
    expect([...world.servers.values()].map((s) => s.state)).toEqual(['Active', 'Active', 'Active']);
    expect(await kinds()).toEqual([]);
  });

  it('fences a silent host\'s servers once — Draining, never allocatable, replaced — and keeps their sessions open', async () => {
    const { world, run, kinds, seen } = setup();
    await run(HB + TICK);
    for (const id of ['srv_b1', 'srv_b2']) {
      expect(world.servers.get(id)).toMatchObject({ state: 'Draining', drainReason: 'host-unreachable', stopRequestedAt: null });
      expect(world.candidate(id)?.leaving).toBe(true);
    }
    expect(world.servers.get('srv_a')?.state).toBe('Active');
    expect(world.sessions.get('ses_1')?.state).toBe('Connected');
    expect(seen.disconnected).toEqual(['b']);
    expect(seen.kicks).toBeGreaterThan(0);
    await run(10 * TICK);
    expect(await kinds()).toEqual(['host.unreachable b', 'server.fenced srv_b1', 'server.fenced srv_b2']);
  });

  it('closes the sessions of a host silent past the lost timeout as host_lost, and only then', async () => {
    const { world, run, kinds } = setup();
    await run(LOST - TICK);
    expect(world.sessions.get('ses_1')?.state).toBe('Connected');
    await run(2 * TICK);
    expect(world.sessions.has('ses_1')).toBe(false);
    expect(await kinds()).toEqual(['host.unreachable b', 'server.fenced srv_b1', 'server.fenced srv_b2', 'session.closed ses_1 host_lost', 'host.lost b']);
  });

  it('on re-join keeps the fenced servers draining, their sessions open until their rosters report, and sends a lost stop again', async () => {
    const { world, servers, sessions, service, run, kinds, seen, heartbeat, clock } = setup();
    await run(HB + TICK);
    // srv_b2 was empty: the planner asked for its stop, which its host could not hear.
    const stopped = servers.stop('srv_b2', 'drained', clock.now());
    expect(stopped.length).toBeGreaterThan(0);
    heartbeat();
    await service.rejoined('b', ['srv_b1', 'srv_b2']);
    expect(world.servers.get('srv_b1')).toMatchObject({ state: 'Draining' });
    expect(world.candidate('srv_b1')?.leaving).toBe(true);
    expect(world.sessions.get('ses_1')?.state).toBe('Connected');
    expect(sessions.rosters.isUnverified('srv_b1')).toBe(true);
    expect(seen.resent).toEqual(['srv_b2']);
    for (let i = 0; i < (2 * LOST) / HB; i++) {
      await run(HB - TICK);
      heartbeat();
    }
    // Heard from again: no session is closed as host_lost, nothing is fenced twice.
    expect(world.sessions.get('ses_1')?.state).toBe('Connected');
    expect((await kinds()).filter((k) => k.startsWith('host.') || k.startsWith('server.fenced'))).toEqual(['host.unreachable b', 'server.fenced srv_b1', 'server.fenced srv_b2', 'host.rejoined b']);
  });

  it('fences nothing while a host whose agent exited (not a partition) is away, until the lost timeout', async () => {
    const { world, run, kinds } = setup({ agentLeft: true });
    await run(LOST - TICK);
    expect(world.servers.get('srv_b1')?.state).toBe('Active');
    expect(await kinds()).toEqual([]);
    await run(2 * TICK);
    expect(world.servers.get('srv_b1')?.state).toBe('Draining');
    expect(await kinds()).toEqual(['host.unreachable b', 'server.fenced srv_b1', 'server.fenced srv_b2', 'session.closed ses_1 host_lost', 'host.lost b']);
  });

  it('does not blame a host for the time the control plane was not observing (a restart long after its last heartbeat)', async () => {
    const { world, run, kinds } = setup({ lastHeartbeatAgoMs: 3_600_000 });
    await run(HB - TICK);
    expect(world.servers.get('srv_b1')?.state).toBe('Active');
    expect(await kinds()).toEqual([]);
    await run(2 * TICK);
    expect(world.servers.get('srv_b1')?.state).toBe('Draining');
  });
});
