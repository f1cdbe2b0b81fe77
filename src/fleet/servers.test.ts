import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { LocalRuntime } from '../runtime/local/local-runtime.js';
import { SessionService } from '../session/service.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleServer, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { ServerService } from './servers.js';

describe('ServerService.recover after a control-plane crash', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });

  function setup() {
    const dir = mkdtempSync(path.join(tmpdir(), 'handoff-recover-'));
    const store = SqliteStore.open(path.join(dir, 'db.sqlite'));
    const clock = new FakeClock();
    const world = new World();
    world.putBuild(sampleBuild({
      id: 'v1',
      launch: { executable: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], env: {}, workingDir: null },
      ports: [{ name: 'game', protocol: 'tcp' }],
    }));
    world.fleets.set('arena', sampleFleet({ name: 'arena', currentBuild: 'v1' }));
    const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: () => undefined };
    const runtime = LocalRuntime.create({ logDir: dir, portRange: { from: 42_600, to: 42_620 } });
    const sessions = new SessionService(ctx, { joinSecret: 's', reservationTtlMs: 60_000 });
    const servers = new ServerService(ctx, runtime, sessions, { sdkUrls: () => [], backoffBaseMs: 1, backoffMaxMs: 1, kick: () => undefined });
    runtime.onExit((exit) => void servers.onExit(exit));
    cleanup.push(() => {
      void runtime.close();
      void store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { world, store, servers, clock, ctx, sessions };
  }

  function orphan(serverId: string): ChildProcess {
    const env = { PATH: process.env['PATH'] ?? '', HANDOFF_SERVER_ID: serverId, HANDOFF_PORTS: '{"game":42611}', HANDOFF_ADDRESS: '127.0.0.1' };
    const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env, detached: true, stdio: 'ignore' });
    cleanup.push(() => c.pid && process.kill(-c.pid, 'SIGKILL'));
    return c;
  }

  it('adopts a server that was spawned but whose pid was never recorded, instead of orphaning it', async () => {
    const { world, store, servers } = setup();
    const c = orphan('srv_unrecorded');
    await new Promise((r) => c.once('spawn', r));
    world.putServer(sampleServer({ id: 'srv_unrecorded', fleet: 'arena', build: 'v1', state: 'Starting', pid: null, identity: null, ports: {}, token: 't1' }));
    await servers.recover();
    expect(world.servers.get('srv_unrecorded')).toMatchObject({ pid: c.pid, ports: { game: 42611 }, state: 'Starting' });
    expect((await store.getServer('srv_unrecorded'))?.pid).toBe(c.pid);
  });

  it('keeps every re-adopted server unverified (never stopped on the store\'s word) until it is observed', async () => {
    const { world, servers, sessions } = setup();
    const c = orphan('srv_adopted');
    await new Promise((r) => c.once('spawn', r));
    world.putServer(sampleServer({ id: 'srv_adopted', fleet: 'arena', build: 'v1', state: 'Ready', pid: null, identity: null, ports: {}, token: 't3' }));
    await servers.recover();
    expect(sessions.rosters.isUnverified('srv_adopted')).toBe(true);
    expect(servers.stop('srv_adopted', 'retired', Date.now())).toEqual([]);
    await servers.requestShutdown('srv_adopted');
    expect(sessions.rosters.isUnverified('srv_adopted')).toBe(false);
  });

  it('closes the record of a server that was never spawned', async () => {
    const { world, store, servers } = setup();
    world.putServer(sampleServer({ id: 'srv_never', fleet: 'arena', build: 'v1', state: 'Starting', pid: null, identity: null, token: 't2' }));
    await servers.recover();
    expect(world.servers.has('srv_never')).toBe(false);
    expect((await store.getServer('srv_never'))?.state).toBe('Stopped');
  });

  it('records every server found gone after a restart, with its sessions closed, in one commit', async () => {
    const { world, store, servers } = setup();
    for (let i = 0; i < 50; i++) {
      // Pids no process of ours has: the runtime finds them all gone.
      world.putServer(sampleServer({ id: `srv_gone${i}`, fleet: 'arena', build: 'v1', state: 'Active', pid: 999_000 + i, identity: `x${i}`, token: `tg${i}` }));
    }
    world.addSession(sampleSession({ id: 'ses_gone', fleet: 'arena', server: 'srv_gone7', build: 'v1', playerId: 'p1', partyId: null }));
    const commit = store.commit.bind(store);
    let commits = 0;
    store.commit = (m) => {
      commits++;
      return commit(m);
    };
    await servers.recover();
    expect(commits).toBe(1);
    expect(world.servers.size).toBe(0);
    expect((await store.getServer('srv_gone7'))?.state).toBe('Crashed');
    expect((await store.getSession('ses_gone'))?.closeReason).toBe('server_crashed');
  });

  it('stops a server that was retired while it was still spawning, once the spawn completes', async () => {
    const { world, store, servers, clock, ctx } = setup();
    const spawned = servers.launch('arena', 'v1', clock.now());
    const [id] = [...world.servers.keys()];
    if (!id) throw new Error('no Starting record');
    // The planner retires it before the runtime has even reported a pid.
    await ctx.persister.persist(servers.stop(id, 'retired', clock.now()));
    await spawned;
    const deadline = Date.now() + 15_000;
    while (world.servers.has(id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(world.servers.has(id)).toBe(false);
    expect((await store.getServer(id))?.state).toBe('Stopped');
  });
});
