import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSdk, spawnArena, type ArenaProcess } from '../../examples/arena/test-support.js';
import { PlayerPool, type PlayerEvent, type PlayerPoolOptions } from './player.js';

type Reply = { status: number; body: unknown };
type Script = (call: number, body: { playerId: string }) => Reply | Promise<Reply>;

/**
 * A stand-in for the public allocation API that hands out seats on one real arena process.
 * `script` decides each answer; `seat()` builds a successful one and registers its join token.
 */
class FakeApi {
  script: Script = (_n, body) => this.seat(body.playerId);
  private calls = 0;
  private constructor(
    private readonly server: Server,
    private readonly sdk: FakeSdk,
    private readonly arena: ArenaProcess,
  ) {}

  static async start(sdk: FakeSdk, arena: ArenaProcess): Promise<FakeApi> {
    const server = createServer();
    const api = new FakeApi(server, sdk, arena);
    server.on('request', (req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        void Promise.resolve(api.script(api.calls++, JSON.parse(raw) as { playerId: string })).then((reply) => {
          res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
        });
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  seat(playerId: string): Reply {
    const n = this.calls;
    const joinToken = `tok-${playerId}-${n}`;
    const sessionId = `ses_${playerId}_${n}`;
    this.sdk.allocate(playerId, joinToken, sessionId);
    const server = { id: 'srv_test', build: 'build-a', version: '1.2.3', address: '127.0.0.1', ports: { game: this.arena.port } };
    return { status: 201, body: { sessionId, fleet: 'arena', playerId, reconnected: false, server, joinToken } };
  }

  static error(status: number, code: string, retryable: boolean): Reply {
    return { status, body: { error: { code, message: code, retryable } } };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

/** The first event, from now on, that matches. */
function nextEvent<T extends PlayerEvent['type']>(
  pool: PlayerPool,
  type: T,
  match: (e: Extract<PlayerEvent, { type: T }>) => boolean = () => true,
): Promise<Extract<PlayerEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = pool.on((e) => {
      if (e.type === type && match(e as Extract<PlayerEvent, { type: T }>)) {
        off();
        resolve(e as Extract<PlayerEvent, { type: T }>);
      }
    });
  });
}

/** Resolves after `n` events of a type. */
function events(pool: PlayerPool, type: PlayerEvent['type'], n: number): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    const off = pool.on((e) => {
      if (e.type === type && ++seen === n) {
        off();
        resolve();
      }
    });
  });
}

describe('PlayerPool against a real arena', () => {
  let sdk: FakeSdk;
  let arena: ArenaProcess;
  let api: FakeApi;
  let pool: PlayerPool | undefined;

  beforeEach(async () => {
    sdk = await FakeSdk.start();
    arena = await spawnArena(sdk, ['--tick-ms', '20']);
    await Promise.all([sdk.waitForPath('/ready'), sdk.watching()]);
    api = await FakeApi.start(sdk, arena);
  });

  afterEach(async () => {
    await pool?.stop();
    pool = undefined;
    if (arena.child.exitCode === null && arena.child.signalCode === null) {
      arena.child.kill('SIGKILL');
      await arena.exited;
    }
    await api.close();
    await sdk.close();
  });

  function makePool(options: Partial<PlayerPoolOptions> = {}): PlayerPool {
    pool = new PlayerPool({
      apiUrl: api.url,
      fleet: 'arena',
      players: 1,
      minPlayMs: 60_000,
      maxPlayMs: 60_000,
      minPauseMs: 60_000,
      maxPauseMs: 60_000,
      retryBaseMs: 1,
      retryMaxMs: 5,
      random: () => 0.5,
      ...options,
    });
    return pool;
  }

  it('plays, leaves and plays again, counting completed sessions by build', async () => {
    const p = makePool({ players: 2, minPlayMs: 30, maxPlayMs: 60, minPauseMs: 0, maxPauseMs: 10, random: () => 0.1 });
    const fourClosed = events(p, 'closed', 4);
    p.start();
    await fourClosed;
    await p.stop();
    const { total, byPlayer, players, inSession } = p.stats();
    expect(players).toBe(2);
    expect(inSession).toBe(0);
    expect(Object.keys(byPlayer)).toEqual(['sim-1', 'sim-2']);
    expect(total.sessionsInterrupted).toBe(0);
    expect(total.sessionsCompleted).toBeGreaterThanOrEqual(4);
    expect(total.sessionsOpened).toBe(total.sessionsCompleted);
    expect(total.allocations).toBe(total.sessionsOpened);
    expect(total.sessionsByBuild).toEqual({ 'build-a': total.sessionsOpened });
    expect(total.scoresSent).toBeGreaterThan(0);
    for (const s of Object.values(byPlayer)) expect(s.state).toBe('stopped');
    await sdk.waitForPath('/sessions/ended', { playerId: 'sim-1', reason: 'ended' });
  });

  it('retries NO_CAPACITY with backoff and then plays', async () => {
    api.script = (n, body) => (n < 3 ? FakeApi.error(503, 'NO_CAPACITY', true) : api.seat(body.playerId));
    const p = makePool();
    const opened = nextEvent(p, 'opened');
    p.start();
    expect(await opened).toMatchObject({ playerId: 'sim-1', build: 'build-a', serverId: 'srv_test' });
    await p.stop();
    expect(p.stats().total).toMatchObject({
      allocations: 1,
      allocationErrors: { NO_CAPACITY: 3 },
      sessionsOpened: 1,
      sessionsCompleted: 1,
      sessionsInterrupted: 0,
    });
  });

  it('records a non-retryable allocation error and tries again after a pause', async () => {
    api.script = () => FakeApi.error(426, 'CLIENT_UPDATE_REQUIRED', false);
    const p = makePool({ minPauseMs: 0, maxPauseMs: 0, clientVersion: '0.9.0' });
    const twoFailures = events(p, 'allocation-failed', 2);
    p.start();
    await twoFailures;
    await p.stop();
    const { total } = p.stats();
    expect(total.allocationErrors.CLIENT_UPDATE_REQUIRED).toBeGreaterThanOrEqual(2);
    expect(total.sessionsOpened).toBe(0);
  });

  it('leaves gracefully when stopped mid-game: the session completes and the server hears "ended"', async () => {
    const p = makePool();
    const opened = nextEvent(p, 'opened');
    p.start();
    await opened;
    await p.stop();
    expect(p.stats().total).toMatchObject({ sessionsCompleted: 1, sessionsInterrupted: 0 });
    await sdk.waitForPath('/sessions/ended', { playerId: 'sim-1', reason: 'ended' });
  });

  it('still joins and then leaves when stopped while its allocation is in flight, so no seat is left reserved', async () => {
    let arrived: () => void = () => undefined;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    api.script = async (_n, body) => {
      arrived();
      await answered;
      return api.seat(body.playerId);
    };
    const p = makePool();
    p.start();
    await requestArrived;
    const stopped = p.stop();
    answer();
    await stopped;
    expect(p.stats().total).toMatchObject({ allocations: 1, sessionsOpened: 1, sessionsCompleted: 1, sessionsInterrupted: 0 });
    await sdk.waitForPath('/sessions/ended', { playerId: 'sim-1', reason: 'ended' });
  });

  it('counts a 4000 close as a migration and shows the drain notice it got before', async () => {
    const p = makePool();
    const opened = nextEvent(p, 'opened');
    p.start();
    const { sessionId } = await opened;
    const notice = nextEvent(p, 'notice');
    sdk.notify({ type: 'drain', reason: 'release', deadline: null, at: 1 });
    // The demo's summary needs to know which session was told, to tell a planned close from an interruption.
    expect(await notice).toEqual({ type: 'notice', playerId: 'sim-1', sessionId, kind: 'drain' });
    const closed = nextEvent(p, 'closed');
    sdk.notify({ type: 'sessions-closed', players: ['sim-1'], reason: 'release', at: 2 });
    expect((await closed).outcome).toEqual({ kind: 'migrated' });
    await p.stop();
    expect(p.stats().total).toMatchObject({ sessionsMigrated: 1, sessionsInterrupted: 0, drainNotices: 1 });
  });

  it('counts a crashed server as an interrupted session', async () => {
    api.script = (n, body) => (n === 0 ? api.seat(body.playerId) : FakeApi.error(503, 'NO_CAPACITY', true));
    const p = makePool({ retryBaseMs: 60_000, retryMaxMs: 60_000 });
    const opened = nextEvent(p, 'opened');
    p.start();
    await opened;
    const closed = nextEvent(p, 'closed');
    arena.child.kill('SIGKILL');
    expect((await closed).outcome).toEqual({ kind: 'interrupted', cause: 'close:1006' });
    await p.stop();
    expect(p.stats().total).toMatchObject({ sessionsInterrupted: 1, interruptions: { 'close:1006': 1 }, sessionsCompleted: 0 });
  });

  it('counts a refused join as an interrupted session with the refusal code', async () => {
    api.script = (n, body) => {
      if (n > 0) return FakeApi.error(503, 'NO_CAPACITY', true);
      const reply = api.seat(body.playerId);
      sdk.allocate(body.playerId, 'a-different-token');
      return reply;
    };
    const p = makePool({ retryBaseMs: 60_000, retryMaxMs: 60_000 });
    const closed = nextEvent(p, 'closed');
    p.start();
    expect((await closed).outcome).toEqual({ kind: 'interrupted', cause: 'close:4001:JOIN_TOKEN_INVALID' });
    await p.stop();
    expect(p.stats().total).toMatchObject({ sessionsOpened: 0, sessionsInterrupted: 1 });
  });
});
