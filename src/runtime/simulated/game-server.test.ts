import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { FakeBackend } from '../../sdk/testing/fake-backend.js';
import type { RuntimeInstance } from '../port.js';
import type { GameServerBehaviour } from './behaviour.js';
import { gameServerOn, gameServerProgram, type Disconnect, type SimulatedGameServer } from './game-server.js';
import { SimulatedHost } from './host.js';
import { SimulatedRuntime } from './simulated-runtime.js';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** One simulated game server `gs-a` (token `token-a`, players p1 and p2 allocated) talking to a FakeBackend. */
async function boot(args: string[] = [], behaviour: Partial<GameServerBehaviour> = {}) {
  const clock = new FakeClock();
  const host = new SimulatedHost({ clock, seed: 7, defaultProgram: gameServerProgram({ startLatencyMs: { min: 1_000, max: 1_000 }, reconnectMs: { min: 0, max: 0 }, ...behaviour }) });
  const backend = new FakeBackend();
  const disconnect = host.sdk.connect(backend);
  const runtime = SimulatedRuntime.create({ host });
  const exits: unknown[] = [];
  runtime.onExit((e) => exits.push(e));
  const build = { id: 'arena-1', version: '1.0.0', launch: { executable: 'arena', args, env: {}, workingDir: null }, ports: [{ name: 'game', protocol: 'tcp' as const }], sessionsPerServer: 4, compatibleClients: '*', labels: {}, createdAt: 0 };
  const instance: RuntimeInstance = await runtime.start({ serverId: 'gs-a', fleet: 'arena', build, env: { HANDOFF_TOKEN: 'token-a' } });
  const server = (): SimulatedGameServer => {
    const s = gameServerOn(host, 'gs-a');
    if (!s) throw new Error('gs-a is not running');
    return s;
  };
  const methods = (): string[] => backend.log.map((c) => c.method);
  return { clock, host, backend, disconnect, runtime, instance, exits, server, methods };
}

const player = (playerId: string, joinToken: string | null = 'token') => {
  const seen: Disconnect[] = [];
  return { conn: { playerId, joinToken, disconnected: (d: Disconnect) => seen.push(d) }, seen };
};

describe('SimulatedGameServer', () => {
  it('watches its notices at once, calls ready after its start latency and then pings health on the clock', async () => {
    const t = await boot();
    t.clock.advance(0);
    await settle();
    expect(t.methods()).toEqual(['subscribe', 'reportRoster']);
    t.clock.advance(999);
    await settle();
    expect(t.methods()).not.toContain('ready');
    t.clock.advance(1);
    await settle();
    expect(t.server().accepting).toBe(true);
    t.clock.advance(4_000);
    expect(t.methods().slice(2)).toEqual(['ready', 'health', 'health', 'health']);
  });

  it('confirms a player with the join token of the allocation and reports them leaving with the session id', async () => {
    const t = await boot();
    t.clock.advance(1_000);
    await settle();
    const p1 = player('p1', 'join-token-1');
    expect(await t.server().join(p1.conn)).toEqual({ ok: true, sessionId: 's-p1' });
    expect(t.backend.log.find((c) => c.method === 'sessionStarted')?.args).toEqual(['p1', 'join-token-1']);
    t.server().leave('p1');
    await settle();
    expect(t.backend.log.find((c) => c.method === 'sessionEnded')?.args).toEqual(['p1', 'ended', 's-p1']);
    expect(t.server().playerIds()).toEqual([]);
  });

  it('refuses a player the control plane refuses, with its code, and one that comes before Ready', async () => {
    const t = await boot();
    expect(await t.server().join(player('p1').conn)).toEqual({ ok: false, code: 'SERVER_NOT_ACCEPTING' });
    t.clock.advance(1_000);
    await settle();
    expect(await t.server().join(player('stranger').conn)).toEqual({ ok: false, code: 'SESSION_NOT_ALLOCATED' });
    expect(await t.server().join(player('p2', 'forged').conn)).toEqual({ ok: false, code: 'JOIN_TOKEN_INVALID' });
  });

  it('keeps a session end through a control-plane outage and reports its roster after delivering it when the watch reconnects', async () => {
    const t = await boot();
    t.clock.advance(1_000);
    await settle();
    await t.server().join(player('p1').conn);
    await t.server().join(player('p2').conn);
    t.disconnect();
    t.server().leave('p1');
    for (let i = 0; i < 20; i++) {
      t.clock.advance(1_000);
      await settle();
    }
    expect(t.methods()).not.toContain('sessionEnded');
    const before = t.backend.log.length;
    t.host.sdk.connect(t.backend);
    t.clock.advance(5_000);
    await settle();
    const after = t.backend.log.slice(before).filter((c) => c.method !== 'health');
    // The watch may reconnect before the end is retried; the roster report waits for the end.
    expect(after.map((c) => [c.method, ...c.args])).toEqual([
      ['subscribe'],
      ['sessionEnded', 'p1', 'ended', 's-p1'],
      ['reportRoster', ['p2'], { p2: 's-p2' }],
    ]);
  });

  it('lets go of players whose sessions the control plane closed, telling them the reason and when the drain was announced', async () => {
    const t = await boot();
    t.clock.advance(1_000);
    await settle();
    const p1 = player('p1');
    await t.server().join(p1.conn);
    t.clock.advance(10_000);
    t.backend.notify('gs-a', { type: 'drain', reason: 'release', deadline: t.clock.now() + 60_000, at: t.clock.now() });
    const announced = t.clock.now();
    t.clock.advance(60_000);
    t.backend.notify('gs-a', { type: 'sessions-closed', players: ['p1'], reason: 'migrated', at: t.clock.now() });
    expect(p1.seen).toEqual([{ kind: 'closed', reason: 'migrated', drainNoticeAt: announced, maintenanceNoticeAt: null }]);
    expect(t.server().playerIds()).toEqual([]);
  });

  it('drops its players when the process ends, saying whether a runtime stopped it or it crashed', async () => {
    const t = await boot();
    t.clock.advance(1_000);
    await settle();
    const p1 = player('p1');
    await t.server().join(p1.conn);
    t.host.signal(t.instance.pid, 'SIGKILL', false);
    expect(p1.seen).toEqual([{ kind: 'server-exit', code: null, signal: 'SIGKILL', stopped: false }]);

    const s = await boot();
    s.clock.advance(1_000);
    await settle();
    const p2 = player('p2');
    await s.server().join(p2.conn);
    const stopping = s.runtime.stop('gs-a', { graceMs: 5_000 });
    s.clock.advance(100);
    await stopping;
    expect(p2.seen).toEqual([{ kind: 'server-exit', code: 0, signal: null, stopped: true }]);
  });

  it('crashes during boot with one of its exit codes when its build says so', async () => {
    const t = await boot(['--sim-crash-at-start=1', '--sim-exit-codes=139']);
    t.clock.advance(1_000);
    expect(t.exits).toEqual([{ serverId: 'gs-a', code: 139, signal: null, requested: false }]);
    expect(t.methods()).not.toContain('ready');
  });

  it('ignores SIGTERM when stubborn, so only the SIGKILL after the grace period ends it', async () => {
    const t = await boot(['--sim-ignore-sigterm=1']);
    t.clock.advance(1_000);
    const stopping = t.runtime.stop('gs-a', { graceMs: 30_000 });
    t.clock.advance(29_999);
    expect(t.host.logOf(t.instance.pid)).toContain('SIGTERM ignored');
    expect(t.exits).toEqual([]);
    t.clock.advance(1);
    await stopping;
    expect(t.exits).toEqual([{ serverId: 'gs-a', code: null, signal: 'SIGKILL', requested: true }]);
  });

  it('sends no health ping while stalled, and pings again afterwards', async () => {
    const t = await boot(['--sim-stalls-per-hour=3600', '--sim-stall-ms=10000']);
    t.clock.advance(1_000);
    await settle();
    t.clock.advance(60_000);
    const pings = t.backend.log.filter((c) => c.method === 'health').length;
    // One stall a second on average, each 10 s long: far fewer than the 30 pings of a healthy minute.
    expect(pings).toBeLessThan(10);
  });

  it('placed on the host already running, admits its seated players, pings health without calling ready, reports its roster and is adopted', async () => {
    const clock = new FakeClock();
    const host = new SimulatedHost({ clock, seed: 7, defaultProgram: gameServerProgram({ healthIntervalMs: 2_000, reconnectMs: { min: 0, max: 0 } }) });
    const backend = new FakeBackend();
    const placed = host.place({ serverId: 'gs-a', executable: 'arena', args: [], env: { HANDOFF_TOKEN: 'token-a' }, address: '127.0.0.1', ports: { game: 7400 } });
    const server = gameServerOn(host, 'gs-a');
    expect(server?.accepting).toBe(true);
    const p1 = player('p1');
    expect(server?.seatConfirmed(p1.conn, 's-p1')).toBe(true);
    // A control plane comes up and adopts what it has a record of.
    host.sdk.connect(backend);
    const runtime = SimulatedRuntime.create({ host });
    const instance = { serverId: 'gs-a', pid: placed.pid, identity: placed.identity, address: '127.0.0.1', ports: { game: 7400 }, logPath: '' };
    expect(await runtime.adopt([instance])).toEqual({ adopted: ['gs-a'], gone: [] });
    clock.advance(2_000);
    await settle();
    const methods = backend.log.map((c) => c.method);
    expect(methods).not.toContain('ready');
    expect(methods.filter((m) => m !== 'health')).toEqual(['subscribe', 'reportRoster']);
    expect(backend.log.find((c) => c.method === 'reportRoster')?.args).toEqual([['p1'], { p1: 's-p1' }]);
    expect(methods.filter((m) => m === 'health')).toHaveLength(1);
    // A player leaving is reported with the session id it was seated with; a stop ends it as any other.
    server?.leave('p1');
    await settle();
    expect(backend.log.find((c) => c.method === 'sessionEnded')?.args).toEqual(['p1', 'ended', 's-p1']);
    const stopping = runtime.stop('gs-a', { graceMs: 5_000 });
    clock.advance(100);
    await stopping;
    expect(host.isRunning(placed.pid)).toBe(false);
  });

  it('refuses to place a server that already runs, or a program that cannot resume, leaving the host as it was', () => {
    const host = new SimulatedHost({ clock: new FakeClock(), programs: { arena: gameServerProgram(), echo: () => ({ start: () => undefined, terminate: () => undefined }) } });
    const request = { serverId: 'gs-a', executable: 'arena', args: [], env: {}, address: '127.0.0.1', ports: { game: 7400 } };
    host.place(request);
    expect(() => host.place(request)).toThrow(/already running/);
    expect(() => host.place({ ...request, serverId: 'gs-b', executable: 'echo', ports: { game: 7401 } })).toThrow(/no resume/);
    expect(host.findServer('gs-b')).toBeUndefined();
    expect(host.portInUse(7401)).toBe(false);
    expect(host.running().map((p) => p.serverId)).toEqual(['gs-a']);
  });

  it('exits at once, as a real binary would, when its build passes an argument it does not know', async () => {
    const t = await boot(['--sim-crash-rate=1']);
    expect(t.exits).toEqual([{ serverId: 'gs-a', code: 2, signal: null, requested: false }]);
    expect(() => t.runtime.validateLaunch({ id: 'b', version: '1', launch: { executable: 'x', args: ['--sim-crash-rate=1'], env: {}, workingDir: null }, ports: [], sessionsPerServer: 1, compatibleClients: '*', labels: {}, createdAt: 0 }))
      .toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
