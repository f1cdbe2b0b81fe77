/**
 * A cold start that answers before its open sessions are loaded (cold-start.ts,
 * state/session-load.ts) must answer as if they were: the real control plane on a real SQLite
 * file over simulated game servers, restarted with a session loader held before its first chunk,
 * then released. A fake clock drives the game servers; the loader is held by the test, not by time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AllocationRequestSchema, ApplyRequestSchema } from '../api/schemas.js';
import { FakeClock } from '../core/clock.js';
import { isHandoffError } from '../core/errors.js';
import { gameServerOn, gameServerProgram } from '../runtime/simulated/game-server.js';
import { SimulatedHost } from '../runtime/simulated/host.js';
import { SimulatedRuntime } from '../runtime/simulated/simulated-runtime.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { ColdStartOptions } from './cold-start.js';
import { startControlPlane, type ControlPlane } from './compose.js';

const FLEET = 'arena';

interface Rig {
  clock: FakeClock;
  host: SimulatedHost;
  dir: string;
  /** `adoptAfter`: the runtime re-adopts servers only once it settles (the test holds adoption). */
  start(coldStart?: ColdStartOptions, adoptAfter?: Promise<void>): Promise<ControlPlane>;
}

function rig(): Rig {
  const clock = new FakeClock();
  const host = new SimulatedHost({ clock, seed: 3, defaultProgram: gameServerProgram({ startLatencyMs: { min: 100, max: 200 }, healthIntervalMs: 5_000, reconnectMs: { min: 100, max: 200 } }) });
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-cold-'));
  return {
    clock, host, dir,
    start: (coldStart = {}, adoptAfter) => {
      const runtime = SimulatedRuntime.create({ host, clock });
      if (adoptAfter) {
        const adopt = runtime.adopt.bind(runtime);
        runtime.adopt = async (instances) => (await adoptAfter, adopt(instances));
      }
      return pump(clock, startControlPlane(
        { dataDir: dir, port: 0, sdkPort: 0, host: '127.0.0.1', reconcileIntervalMs: 1_000, reservationTtlMs: 3_600_000 },
        { clock, store: SqliteStore.open(path.join(dir, 'handoff.db'), { checkpoint: false }), runtime, log: () => undefined, coldStart },
      ));
    },
  };
}

/** Waits for `work` while the fake clock moves in 10 ms steps (start-up and close wait on both clocks). */
async function pump<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  let done = false;
  const settled = work.finally(() => (done = true));
  while (!done) {
    clock.advance(10);
    await new Promise((r) => setTimeout(r, 1));
  }
  return settled;
}

async function until(clock: FakeClock, what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await ok()) return;
    clock.advance(10);
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const allocate = (cp: ControlPlane, playerId: string) => cp.api.allocations.allocate(AllocationRequestSchema.parse({ fleet: FLEET, playerId }));

/** Two servers of two seats; p1 and p2 on the first, p3 on the second, all connected. */
async function seed(r: Rig): Promise<Map<string, { sessionId: string; serverId: string }>> {
  const cp = await r.start();
  await cp.api.fleets.apply(ApplyRequestSchema.parse({
    builds: [{ id: 'v1', version: '1.0.0', sessionsPerServer: 2, ports: [], launch: { executable: 'game-server', args: [] } }],
    fleets: [{ name: FLEET, build: 'v1', capacity: { minServers: 2, maxServers: 2, bufferServers: 0, idleTimeoutSeconds: 3_600 } }],
  }));
  await until(r.clock, 'two Ready servers', async () => {
    await cp.reconciler.passNow();
    return cp.world.fleetServers(FLEET).filter((s) => s.state === 'Ready').length === 2;
  });
  const seated = new Map<string, { sessionId: string; serverId: string }>();
  for (const p of ['p1', 'p2', 'p3']) {
    const { response } = await allocate(cp, p);
    const joined = await gameServerOn(r.host, response.server.id)?.join({ playerId: p, joinToken: response.joinToken, disconnected: () => undefined });
    expect(joined?.ok).toBe(true);
    seated.set(p, { sessionId: response.sessionId, serverId: response.server.id });
  }
  expect(seated.get('p1')?.serverId).toBe(seated.get('p2')?.serverId);
  await pump(r.clock, cp.close());
  return seated;
}

function seatOf(seated: Map<string, { sessionId: string; serverId: string }>, player: string): { sessionId: string; serverId: string } {
  const seat = seated.get(player);
  if (!seat) throw new Error(`${player} was not seated`);
  return seat;
}

describe('a cold start answering before its sessions are loaded', () => {
  let r: Rig | undefined;
  let cp: ControlPlane | undefined;
  afterEach(async () => {
    if (r && cp) await pump(r.clock, cp.close()).catch(() => undefined);
    if (r) rmSync(r.dir, { recursive: true, force: true });
    r = undefined;
    cp = undefined;
  });

  it('reconnects, ends and closes sessions not loaded yet, never gives a held seat twice, and revives none of them when the load lands', async () => {
    r = rig();
    const seated = await seed(r);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // Held before the first chunk: nothing is loaded until the test says so; then one per turn.
    let first = true;
    cp = await r.start({ lazyAbove: 0, chunk: 1, pause: () => (first ? ((first = false), held) : new Promise((res) => setImmediate(res))) });
    const world = cp.world;
    expect(world.sessionsLoading).toBe(true);
    expect(world.sessions.size).toBe(0);
    const [p1, p2, p3] = [seatOf(seated, 'p1'), seatOf(seated, 'p2'), seatOf(seated, 'p3')];

    // A reconnect: the player's open session, read from the store, not a second one.
    const again = await allocate(cp, 'p1');
    expect(again.outcome).toBe('reconnected');
    expect(again.response.sessionId).toBe(p1.sessionId);
    expect(again.response.server.id).toBe(p1.serverId);

    // Seats held by sessions not loaded yet are counted: one seat is left in the fleet (beside p3).
    const p4 = await allocate(cp, 'p4');
    expect(p4.response.server.id).toBe(p3.serverId);
    const full = await allocate(cp, 'p5').then(() => 'allocated', (e: unknown) => (isHandoffError(e) ? e.code : String(e)));
    expect(full).toBe('NO_CAPACITY');

    // p3 leaves: the game server's sessionEnded closes the session the control plane has not loaded.
    gameServerOn(r.host, p3.serverId)?.leave('p3');
    await until(r.clock, 'p3 ended', async () => (await cp!.store.getSession(p3.sessionId))?.closeReason === 'ended');
    // An operator closes p2's session through the API.
    expect((await cp.api.sessions.close(p2.sessionId, 'api')).state).toBe('Closed');
    expect(world.sessionsLoading).toBe(true);

    release();
    await pump(r.clock, cp.sessionsLoaded);
    expect(world.sessionsLoading).toBe(false);
    // p2 and p3 were read in and closed before their chunks came: they stay closed.
    expect(new Set(world.sessions.keys())).toEqual(new Set([p1.sessionId, p4.response.sessionId]));
    expect(world.used(p1.serverId)).toBe(1);
    expect(world.used(p3.serverId)).toBe(1);
    const open = await cp.store.listSessions({ open: true, limit: 10 });
    expect(new Set(open.map((s) => s.id))).toEqual(new Set(world.sessions.keys()));
    expect((await cp.store.getSession(p2.sessionId))?.closeReason).toBe('api');
  });

  it('re-adopts a fleet before its first allocation, so a server found gone is never given, though the API listens first', async () => {
    r = rig();
    const seated = await seed(r);
    const p1 = seatOf(seated, 'p1');
    const p3 = seatOf(seated, 'p3');
    // p3's server dies while the control plane is down: its one free seat must not be given.
    r.host.signal(r.host.findServer(p3.serverId)!.pid, 'SIGKILL', false);
    let adopt!: () => void;
    const adoptHeld = new Promise<void>((resolve) => (adopt = resolve));
    cp = await r.start({ lazyAbove: 0 }, adoptHeld);
    let answer: string | null = null;
    const p4 = allocate(cp, 'p4').then((a) => (answer = a.response.server.id), (e: unknown) => (answer = isHandoffError(e) ? e.code : String(e)));
    for (let i = 0; i < 20; i++) await new Promise((res) => setImmediate(res));
    // Listening, and the allocation waits for its fleet's servers to be re-adopted.
    expect(answer).toBeNull();
    expect(cp.world.servers.has(p3.serverId)).toBe(true);
    adopt();
    await p4;
    // p1's server is full (p1, p2) and p3's is gone: no seat anywhere.
    expect(answer).toBe('NO_CAPACITY');
    expect(cp.world.servers.has(p3.serverId)).toBe(false);
    expect(cp.world.servers.has(p1.serverId)).toBe(true);
    expect((await cp.store.getSession(p3.sessionId))?.closeReason).toBe('server_crashed');
    await pump(r.clock, cp.sessionsLoaded);
    expect([...cp.world.sessions.values()].map((s) => s.playerId).sort()).toEqual(['p1', 'p2']);
  });

  it('re-adopts every fleet after listening without waiting for an allocation, and streams sessions in only after', async () => {
    r = rig();
    const seated = await seed(r);
    const p3 = seatOf(seated, 'p3');
    r.host.signal(r.host.findServer(p3.serverId)!.pid, 'SIGKILL', false);
    let adopt!: () => void;
    const adoptHeld = new Promise<void>((resolve) => (adopt = resolve));
    let streamed = false;
    cp = await r.start({ lazyAbove: 0, chunk: 1, pause: () => ((streamed = true), new Promise((res) => setImmediate(res))) }, adoptHeld);
    for (let i = 0; i < 20; i++) await new Promise((res) => setImmediate(res));
    expect(streamed).toBe(false);
    adopt();
    await until(r.clock, 'the gone server accounted for', () => !cp!.world.servers.has(p3.serverId));
    await pump(r.clock, cp.sessionsLoaded);
    expect(streamed).toBe(true);
    expect([...cp.world.sessions.values()].map((s) => s.playerId).sort()).toEqual(['p1', 'p2']);
  });

  it('closes every session of a server that exits before its sessions are loaded', async () => {
    r = rig();
    const seated = await seed(r);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    cp = await r.start({ lazyAbove: 0, chunk: 1, pause: () => held });
    const p1 = seatOf(seated, 'p1');
    const p2 = seatOf(seated, 'p2');
    // Killed from outside (as by the OOM killer): a crash, which closes what it hosted.
    r.host.signal(r.host.findServer(p1.serverId)!.pid, 'SIGKILL', false);
    await until(r.clock, 'both sessions closed', async () => {
      const [a, b] = await Promise.all([cp!.store.getSession(p1.sessionId), cp!.store.getSession(p2.sessionId)]);
      return a?.closeReason === 'server_crashed' && b?.closeReason === 'server_crashed';
    });
    expect(cp.world.servers.has(p1.serverId)).toBe(false);
    release();
    await pump(r.clock, cp.sessionsLoaded);
    expect([...cp.world.sessions.values()].map((s) => s.playerId)).toEqual(['p3']);
  });
});
