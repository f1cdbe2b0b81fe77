import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Build } from '../builds/model.js';
import type { RuntimeExit, RuntimeInstance, RuntimeProvider, ServerLaunch } from './port.js';
import { askEcho, type EchoReply } from './testdata/echo-client.js';

/**
 * What an adapter's test file supplies to run the RuntimeProvider contract. The game server
 * is always `testdata/echo-server.mjs`; the harness says how this adapter runs it.
 */
export interface RuntimeContractHarness {
  /**
   * A provider as a freshly started control plane builds it. Called again within a test to
   * simulate a control-plane restart: same configuration, no memory of the earlier provider.
   */
  create(): RuntimeProvider;
  /** Like `create`, but with room for exactly one server of `echoBuild()` (e.g. a one-port range). */
  createWithRoomForOne(): RuntimeProvider;
  /** A build running the echo server with these flags (`--ignore-sigterm`, `--exit-at-start=3`, …). */
  echoBuild(flags?: readonly string[]): Build;
  /** Kills a server behind the runtime's back, as a crash or an operator's `kill -9` would. */
  killFromOutside(instance: RuntimeInstance): void;
  /**
   * Sends the echo server one line and resolves with its reply; rejects while it is not
   * reachable. Default: over TCP to its `game` port (`askEcho`). A runtime whose servers are not
   * processes (the simulated one) asks its twin of the echo server in-process.
   */
  ask?(instance: RuntimeInstance): Promise<EchoReply>;
  /** The server's log so far. Default: the file at `instance.logPath`. */
  readLog?(instance: RuntimeInstance): Promise<string>;
}

/** Generous: real processes on a loaded 2-core CI box. A bound, never a timed expectation. */
export const WAIT = { timeout: 15_000, interval: 25 } as const;

/** Collects a provider's exits so tests can wait for one and count them. */
export function recordExits(provider: RuntimeProvider): {
  of(serverId: string): RuntimeExit[];
  next(serverId: string): Promise<RuntimeExit>;
} {
  const exits: RuntimeExit[] = [];
  provider.onExit((exit) => exits.push(exit));
  const of = (serverId: string): RuntimeExit[] => exits.filter((e) => e.serverId === serverId);
  return {
    of,
    next: (serverId) =>
      vi.waitFor(() => {
        const [exit] = of(serverId);
        if (!exit) throw new Error(`no exit reported for ${serverId} yet`);
        return exit;
      }, WAIT),
  };
}

/** Waits until the echo server answers, i.e. it has booted and listens on its port. */
export function reachable(instance: RuntimeInstance, ask: (i: RuntimeInstance) => Promise<EchoReply> = askEcho): Promise<EchoReply> {
  return vi.waitFor(() => ask(instance), WAIT);
}

function withEnv(build: Build, env: Record<string, string>): Build {
  return { ...build, launch: { ...build.launch, env: { ...build.launch.env, ...env } } };
}

/**
 * The RuntimeProvider contract: every adapter must pass it. Runs real servers; every server a
 * test starts is stopped afterwards through a fresh provider, which also exercises `adopt`.
 */
export function describeRuntimeContract(name: string, harness: RuntimeContractHarness): void {
  describe(`RuntimeProvider contract: ${name}`, () => {
    const providers: RuntimeProvider[] = [];
    const started: RuntimeInstance[] = [];
    const run = randomBytes(3).toString('hex');
    let seq = 0;
    const ask = (instance: RuntimeInstance): Promise<EchoReply> => (harness.ask ? harness.ask(instance) : askEcho(instance));
    const readLog = (instance: RuntimeInstance): Promise<string> => (harness.readLog ? harness.readLog(instance) : readFile(instance.logPath, 'utf8'));

    const provider = (roomForOne = false): RuntimeProvider => {
      const p = roomForOne ? harness.createWithRoomForOne() : harness.create();
      providers.push(p);
      return p;
    };
    const launch = (build: Build = harness.echoBuild(), env: Record<string, string> = {}): ServerLaunch => {
      const serverId = `contract-${run}-${++seq}`;
      return { serverId, fleet: 'contract', build, env: { HANDOFF_SERVER_ID: serverId, ...env } };
    };
    const start = async (p: RuntimeProvider, l: ServerLaunch = launch()): Promise<RuntimeInstance> => {
      const instance = await p.start(l);
      started.push(instance);
      return instance;
    };

    afterEach(async () => {
      for (const p of providers.splice(0)) await p.close();
      const reaper = harness.create();
      const leftovers = started.splice(0);
      await reaper.adopt(leftovers);
      await Promise.all(leftovers.map((i) => reaper.stop(i.serverId, { graceMs: 1_000 })));
      await reaper.close();
    });

    it('starts a server that is reachable on the port it was given', async () => {
      const instance = await start(provider());
      expect(Object.keys(instance.ports)).toEqual(['game']);
      expect((await reachable(instance, ask)).echo).toBe('hello');
    });

    it('passes the launch env and the runtime variables to the server', async () => {
      const l = launch(harness.echoBuild(), { HANDOFF_TOKEN: 'secret-token' });
      const instance = await start(provider(), l);
      const { env } = await reachable(instance, ask);
      expect(env).toMatchObject({
        HANDOFF_SERVER_ID: l.serverId,
        HANDOFF_TOKEN: 'secret-token',
        HANDOFF_ADDRESS: instance.address,
        HANDOFF_PORT_GAME: String(instance.ports.game),
      });
      expect(JSON.parse(env.HANDOFF_PORTS ?? 'null')).toEqual(instance.ports);
    });

    it('applies the build env first, the launch env over it and the runtime variables last', async () => {
      const build = withEnv(harness.echoBuild(), { FROM_BUILD: 'build', LAYERED: 'build', HANDOFF_PORT_GAME: '1' });
      const instance = await start(provider(), launch(build, { LAYERED: 'launch' }));
      const { env } = await reachable(instance, ask);
      expect(env).toMatchObject({ FROM_BUILD: 'build', LAYERED: 'launch', HANDOFF_PORT_GAME: String(instance.ports.game) });
    });

    it('gives two running servers different ports', async () => {
      const p = provider();
      const [a, b] = [await start(p), await start(p)];
      expect(a.ports.game).not.toBe(b.ports.game);
      await Promise.all([reachable(a, ask), reachable(b, ask)]);
    });

    it("writes the server's stdout and stderr to its log", async () => {
      const instance = await start(provider());
      await vi.waitFor(async () => {
        const log = await readLog(instance);
        expect(log).toContain('echo-server: listening on');
        expect(log).toContain('echo-server: stderr is captured too');
      }, WAIT);
    });

    it('reports an unexpected exit with its code and requested=false', async () => {
      const p = provider();
      const exits = recordExits(p);
      const instance = await start(p, launch(harness.echoBuild(['--exit-at-start=3'])));
      expect(await exits.next(instance.serverId)).toEqual({ serverId: instance.serverId, code: 3, signal: null, requested: false });
    });

    it('stops a server gracefully: SIGTERM is honoured and the exit is reported as requested', async () => {
      const p = provider();
      const exits = recordExits(p);
      const instance = await start(p);
      await reachable(instance, ask);
      await p.stop(instance.serverId, { graceMs: 20_000 });
      // Resolved only once the process has exited, so the exit is already known.
      expect(exits.of(instance.serverId)).toEqual([{ serverId: instance.serverId, code: 0, signal: null, requested: true }]);
      expect(await readLog(instance)).toContain('SIGTERM received, draining');
    });

    it('kills a server that ignores SIGTERM once the grace period is over', async () => {
      const p = provider();
      const exits = recordExits(p);
      const instance = await start(p, launch(harness.echoBuild(['--ignore-sigterm'])));
      await reachable(instance, ask);
      // Whether SIGTERM came first is not asserted here: that would race the grace period.
      // Adapters prove it with a fake clock (see the local adapter's tests).
      await p.stop(instance.serverId, { graceMs: 300 });
      expect(exits.of(instance.serverId)).toEqual([{ serverId: instance.serverId, code: null, signal: 'SIGKILL', requested: true }]);
    });

    it('treats stopping an unknown or already-stopped server as done and reports each exit once', async () => {
      const p = provider();
      const exits = recordExits(p);
      const [a, b] = [await start(p), await start(p)];
      await reachable(a, ask);
      await Promise.all([p.stop(a.serverId, { graceMs: 20_000 }), p.stop(a.serverId, { graceMs: 20_000 })]);
      await p.stop(a.serverId, { graceMs: 20_000 });
      await p.stop('never-started', { graceMs: 20_000 });
      // A later exit on the same provider: any duplicate report of `a` would have come by now.
      await p.stop(b.serverId, { graceMs: 20_000 });
      expect(exits.of(a.serverId)).toHaveLength(1);
      expect(exits.of(b.serverId)).toHaveLength(1);
    });

    it('rejects a build whose executable does not exist with SERVER_START_FAILED', async () => {
      const echo = harness.echoBuild();
      const build = { ...echo, launch: { ...echo.launch, executable: './no-such-game-server' } };
      await expect(provider().start(launch(build))).rejects.toMatchObject({ code: 'SERVER_START_FAILED' });
    });

    it('rejects with PORT_RANGE_EXHAUSTED when no port is left and starts again once one is freed', async () => {
      const p = provider(true);
      const first = await start(p);
      await expect(p.start(launch())).rejects.toMatchObject({ code: 'PORT_RANGE_EXHAUSTED' });
      await p.stop(first.serverId, { graceMs: 20_000 });
      await reachable(await start(p), ask);
    });

    it('leaves servers running when it is closed', async () => {
      const p = provider();
      const instance = await start(p);
      await reachable(instance, ask);
      await p.close();
      expect((await ask(instance)).echo).toBe('hello');
    });

    describe('after a control-plane restart', () => {
      it('re-attaches to a server that is still running, and can stop it', async () => {
        const before = provider();
        const instance = await start(before);
        await reachable(instance, ask);
        await before.close();

        const after = provider();
        const exits = recordExits(after);
        expect(await after.adopt([instance])).toEqual({ adopted: [instance.serverId], gone: [] });
        await ask(instance);
        await after.stop(instance.serverId, { graceMs: 20_000 });
        expect(exits.of(instance.serverId)).toMatchObject([{ serverId: instance.serverId, requested: true }]);
      });

      it('reports a server that exited meanwhile as gone', async () => {
        const before = provider();
        const instance = await start(before);
        await before.stop(instance.serverId, { graceMs: 20_000 });
        await before.close();

        expect(await provider().adopt([instance])).toEqual({ adopted: [], gone: [instance.serverId] });
      });

      it('refuses a process whose identity does not match, and leaves that process alone', async () => {
        const before = provider();
        const instance = await start(before);
        await reachable(instance, ask);
        await before.close();

        const impostor = { ...instance, identity: `${instance.identity}-recycled` };
        expect(await provider().adopt([impostor])).toEqual({ adopted: [], gone: [instance.serverId] });
        await ask(instance);
      });

      it('reports the exit of an adopted server killed from outside', async () => {
        const before = provider();
        const instance = await start(before);
        await reachable(instance, ask);
        await before.close();

        const after = provider();
        const exits = recordExits(after);
        await after.adopt([instance]);
        harness.killFromOutside(instance);
        expect(await exits.next(instance.serverId)).toMatchObject({ serverId: instance.serverId, requested: false });
      });
    });
  });
}
