import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSdk, spawnArena, TestPlayer, type ArenaProcess } from './test-support.js';

describe('arena server (real process, fake SDK endpoint)', () => {
  let sdk: FakeSdk;
  let arena: ArenaProcess | undefined;

  beforeEach(async () => {
    sdk = await FakeSdk.start();
  });

  afterEach(async () => {
    if (arena && arena.child.exitCode === null && arena.child.signalCode === null) {
      arena.child.kill('SIGKILL');
      await arena.exited;
    }
    arena = undefined;
    await sdk.close();
  });

  /** Starts the arena and waits until it reported ready and watches notices. */
  async function start(args: string[] = []): Promise<ArenaProcess> {
    arena = await spawnArena(sdk, ['--version', '1.2.3', ...args]);
    await Promise.all([sdk.waitForPath('/ready'), sdk.watching()]);
    return arena;
  }

  it('sends ticks with its version and server id to a player with a valid join token', async () => {
    const { port } = await start();
    sdk.allocate('p1', 'tok-1', 'ses_1');
    const player = TestPlayer.connect(port, 'p1', 'tok-1');
    const welcome = await player.next('welcome');
    const tick = await player.next('tick');
    expect(welcome).toMatchObject({ playerId: 'p1', sessionId: 'ses_1', version: '1.2.3', serverId: 'srv_test', resumed: false });
    expect(tick).toMatchObject({ version: '1.2.3', serverId: 'srv_test', players: [{ id: 'p1', score: 0, connected: true }] });
    expect(await sdk.waitForPath('/sessions/started', { playerId: 'p1' })).toMatchObject({ body: { joinToken: 'tok-1' } });
    player.ws.close();
  });

  it.each([
    ['an invalid join token', 'wrong-token', 'JOIN_TOKEN_INVALID'],
    ['no join token', undefined, 'JOIN_TOKEN_REQUIRED'],
  ])('closes a player with %s with 4001 and the SDK error code', async (_name, token, code) => {
    const { port } = await start();
    sdk.allocate('p1', 'tok-1');
    const player = TestPlayer.connect(port, 'p1', token);
    expect(await player.closed).toEqual({ code: 4001, reason: code });
  });

  it('closes a player without an allocated session with 4001 SESSION_NOT_ALLOCATED', async () => {
    const { port } = await start();
    const player = TestPlayer.connect(port, 'stranger', 'tok');
    expect(await player.closed).toEqual({ code: 4001, reason: 'SESSION_NOT_ALLOCATED' });
  });

  it('reports sessionEnded "ended" when a player leaves, after closing it with 1000', async () => {
    const { port } = await start();
    sdk.allocate('p1', 'tok-1');
    const player = TestPlayer.connect(port, 'p1', 'tok-1');
    await player.next('welcome');
    player.send({ type: 'score', points: 5 });
    player.send({ type: 'leave' });
    expect(await player.closed).toEqual({ code: 1000, reason: 'bye' });
    await sdk.waitForPath('/sessions/ended', { playerId: 'p1', reason: 'ended' });
  });

  it('reports sessionEnded "disconnected" when a dropped player does not return within the grace', async () => {
    const { port } = await start(['--reconnect-grace-ms', '0']);
    sdk.allocate('p1', 'tok-1');
    const player = TestPlayer.connect(port, 'p1', 'tok-1');
    await player.next('welcome');
    player.ws.terminate();
    await sdk.waitForPath('/sessions/ended', { playerId: 'p1', reason: 'disconnected' });
  });

  it('resumes a player who reconnects with the same token inside the grace, keeping the score', async () => {
    const { port } = await start(['--reconnect-grace-ms', '60000']);
    sdk.allocate('p1', 'tok-1');
    const first = TestPlayer.connect(port, 'p1', 'tok-1');
    await first.next('welcome');
    first.send({ type: 'score', points: 7 });
    await first.next('tick', { match: (m) => JSON.stringify(m.players).includes('"score":7') });
    first.ws.terminate();
    const second = TestPlayer.connect(port, 'p1', 'tok-1');
    expect(await second.next('welcome')).toMatchObject({ resumed: true });
    expect(await second.next('tick')).toMatchObject({ players: [{ id: 'p1', score: 7, connected: true }] });
    // The seat never ended, so the control plane heard about the player once.
    expect(sdk.calls.filter((c) => c.path.endsWith('/sessions/started'))).toHaveLength(1);
    second.ws.close();
  });

  it('tells connected players about a drain', async () => {
    const { port } = await start();
    sdk.allocate('p1', 'tok-1');
    const player = TestPlayer.connect(port, 'p1', 'tok-1');
    await player.next('welcome');
    sdk.notify({ type: 'drain', reason: 'release 1.2.4', deadline: 1_900_000_000_000, at: 1 });
    expect(await player.next('notice')).toEqual({ type: 'notice', kind: 'drain', reason: 'release 1.2.4', deadline: 1_900_000_000_000 });
    player.ws.close();
  });

  it('sends migrate and closes with 4000 only the players named in a sessions-closed notice', async () => {
    const { port } = await start();
    sdk.allocate('p1', 'tok-1');
    sdk.allocate('p2', 'tok-2');
    const moving = TestPlayer.connect(port, 'p1', 'tok-1');
    const staying = TestPlayer.connect(port, 'p2', 'tok-2');
    await Promise.all([moving.next('welcome'), staying.next('welcome')]);
    sdk.notify({ type: 'sessions-closed', players: ['p1'], reason: 'release drain deadline', at: 1 });
    expect(await moving.next('migrate')).toEqual({ type: 'migrate', reason: 'release drain deadline' });
    expect(await moving.closed).toEqual({ code: 4000, reason: 'migrated' });
    expect(await staying.next('tick')).toMatchObject({ players: [{ id: 'p2' }] });
    staying.ws.close();
  });

  it('answers /healthz with its version and player count', async () => {
    const { port } = await start();
    sdk.allocate('p1', 'tok-1');
    const player = TestPlayer.connect(port, 'p1', 'tok-1');
    await player.next('welcome');
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, version: '1.2.3', players: 1 });
    player.ws.close();
  });

  it('exits 0 on SIGTERM, closing connected players with 1001', async () => {
    const proc = await start();
    sdk.allocate('p1', 'tok-1');
    const player = TestPlayer.connect(proc.port, 'p1', 'tok-1');
    await player.next('welcome');
    proc.child.kill('SIGTERM');
    expect(await player.closed).toMatchObject({ code: 1001 });
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });

  it('exits 0 on a shutdown notice', async () => {
    const proc = await start();
    sdk.notify({ type: 'shutdown', graceMs: 10_000, at: 1 });
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.output()).toContain('notice shutdown graceMs=10000');
  });

  it('exits 1 at once with --crash-on-start, before talking to the SDK', async () => {
    arena = await spawnArena(sdk, ['--crash-on-start']);
    expect(await arena.exited).toEqual({ code: 1, signal: null });
    expect(sdk.calls).toEqual([]);
  });

  it('crashes (exit 70, no goodbye) one tick after a session starts with --crash-rate 1', async () => {
    const { port, exited } = await start(['--crash-rate', '1', '--tick-ms', '50']);
    sdk.allocate('p1', 'tok-1');
    const player = TestPlayer.connect(port, 'p1', 'tok-1');
    await player.next('welcome');
    expect(await exited).toEqual({ code: 70, signal: null });
    expect(sdk.calls.some((c) => c.path.endsWith('/sessions/ended') || c.path.endsWith('/shutdown'))).toBe(false);
  });

  it('ends a session in error (4003 to the player, "error" to Handoff) with --abnormal-close-rate 1, and keeps running', async () => {
    const { port } = await start(['--abnormal-close-rate', '1', '--tick-ms', '50']);
    sdk.allocate('p1', 'tok-1');
    const player = TestPlayer.connect(port, 'p1', 'tok-1');
    await player.next('welcome');
    expect(await player.closed).toEqual({ code: 4003, reason: 'desync' });
    await sdk.waitForPath('/sessions/ended', { playerId: 'p1', reason: 'error' });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('listens and pings health but never reports ready with --never-ready', async () => {
    arena = await spawnArena(sdk, ['--never-ready']);
    await Promise.all([sdk.waitForPath('/health'), sdk.watching()]);
    const res = await fetch(`http://127.0.0.1:${arena.port}/healthz`);
    expect(res.status).toBe(200);
    expect(arena.output()).toContain('not reporting ready (--never-ready)');
    expect(sdk.calls.some((c) => c.path.endsWith('/ready'))).toBe(false);
  });
});
