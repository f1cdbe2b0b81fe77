import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Build } from '../../builds/model.js';
import { FakeClock } from '../../core/clock.js';
import { describeRuntimeContract, reachable, recordExits, WAIT } from '../contract.js';
import type { RuntimeInstance, ServerLaunch } from '../port.js';
import { askEcho } from '../testdata/echo-client.js';
import { LocalRuntime } from './local-runtime.js';
import type { LocalRuntimeOptions } from './options.js';
import { processIdentity, readBootId, signalGroup } from './proc.js';
import { localEchoBuild } from './testdata/echo-build.js';

// A per-worker block of ports, so parallel workers rarely contend (contention is survivable
// anyway: ports something else holds are skipped). Kept below the Linux ephemeral range.
const BASE = 20_000 + (process.pid % 110) * 100;
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONTROL_PLANE = fileURLToPath(new URL('./testdata/control-plane.ts', import.meta.url));
const logDir = mkdtempSync(path.join(tmpdir(), 'handoff-local-runtime-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

describeRuntimeContract('local', {
  create: () => LocalRuntime.create({ logDir, portRange: { from: BASE, to: BASE + 39 }, adoptPollMs: 50 }),
  createWithRoomForOne: () => LocalRuntime.create({ logDir, portRange: { from: BASE + 40, to: BASE + 40 }, adoptPollMs: 50 }),
  echoBuild: localEchoBuild,
  killFromOutside: (instance) => {
    process.kill(instance.pid, 'SIGKILL');
  },
});

describe('LocalRuntime', () => {
  const bootId = readBootId();
  const runtimes: LocalRuntime[] = [];
  const started: RuntimeInstance[] = [];
  let seq = 0;

  const runtime = (opts: Partial<LocalRuntimeOptions> = {}): LocalRuntime => {
    const rt = LocalRuntime.create({ logDir, portRange: { from: BASE + 50, to: BASE + 89 }, adoptPollMs: 50, ...opts });
    runtimes.push(rt);
    return rt;
  };
  const launch = (build: Build = localEchoBuild()): ServerLaunch => ({ serverId: `local-${++seq}`, fleet: 'local', build, env: {} });
  const start = async (rt: LocalRuntime, l: ServerLaunch = launch()): Promise<RuntimeInstance> => {
    const instance = await rt.start(l);
    started.push(instance);
    return instance;
  };
  const logOf = (instance: RuntimeInstance): string => readFileSync(instance.logPath, 'utf8');

  afterEach(async () => {
    vi.unstubAllEnvs();
    for (const rt of runtimes.splice(0)) await rt.close();
    // Killed directly, and only while the PID provably is still our server.
    const leftovers = started.splice(0).filter((i) => processIdentity(i.pid, bootId) === i.identity);
    for (const i of leftovers) signalGroup(i.pid, 'SIGKILL');
    await vi.waitFor(() => expect(leftovers.filter((i) => processIdentity(i.pid, bootId))).toEqual([]), WAIT);
  });

  it('runs the server as the process it reports, identified by boot and start time', async () => {
    const instance = await start(runtime());
    expect((await reachable(instance)).pid).toBe(instance.pid);
    expect(instance.identity).toBe(processIdentity(instance.pid, bootId));
    expect(instance.identity).toMatch(/^[0-9a-f-]+:\d+$/);
    expect(instance.logPath).toBe(path.join(logDir, `${instance.serverId}.log`));
  });

  it("keeps the control plane's own secrets out of the server's environment", async () => {
    vi.stubEnv('HANDOFF_TEST_DATABASE_URL', 'postgres://control-plane-only');
    const { env } = await reachable(await start(runtime()));
    expect(env.HANDOFF_TEST_DATABASE_URL).toBeUndefined();
    expect(env.PATH).toBe(process.env.PATH);
  });

  it('stops the whole process group, so the children of a wrapper script stop too', async () => {
    const rt = runtime();
    const instance = await start(rt, launch(localEchoBuild(['--with-child'])));
    const { childPid } = await reachable(instance);
    if (childPid === null) throw new Error('the echo server started no child');
    expect(processIdentity(childPid, bootId)).toBeDefined();
    await rt.stop(instance.serverId, { graceMs: 20_000 });
    await vi.waitFor(() => expect(processIdentity(childPid, bootId)).toBeUndefined(), WAIT);
  });

  it('sends SIGKILL only once the whole grace period has passed', async () => {
    const clock = new FakeClock();
    const rt = runtime({ clock });
    const exits = recordExits(rt);
    const instance = await start(rt, launch(localEchoBuild(['--ignore-sigterm'])));
    await reachable(instance);
    const stopping = rt.stop(instance.serverId, { graceMs: 60_000 });
    await vi.waitFor(() => expect(logOf(instance)).toContain('SIGTERM ignored'), WAIT);
    clock.advance(59_999);
    await askEcho(instance);
    clock.advance(1);
    await stopping;
    expect(exits.of(instance.serverId)).toEqual([{ serverId: instance.serverId, code: null, signal: 'SIGKILL', requested: true }]);
  });

  it("counts an adopted server's ports as in use, even one it does not listen on", async () => {
    const twoPorts = { from: BASE + 90, to: BASE + 91 };
    const build: Build = { ...localEchoBuild(), ports: [{ name: 'game', protocol: 'tcp' }, { name: 'spare', protocol: 'udp' }] };
    const before = runtime({ portRange: twoPorts });
    const instance = await start(before, launch(build));
    await reachable(instance);
    await before.close();

    const after = runtime({ portRange: twoPorts });
    await after.adopt([instance]);
    await expect(after.start(launch())).rejects.toMatchObject({ code: 'PORT_RANGE_EXHAUSTED' });
  });

  it('frees the ports when the spawn itself fails', async () => {
    const rt = runtime({ portRange: { from: BASE + 92, to: BASE + 92 } });
    const echo = localEchoBuild();
    const broken: Build = { ...echo, launch: { ...echo.launch, workingDir: path.join(logDir, 'no-such-dir') } };
    await expect(rt.start(launch(broken))).rejects.toMatchObject({ code: 'SERVER_START_FAILED' });
    await reachable(await start(rt));
  });

  it('refuses a second server with the id of one still running, and ids unfit for a file name', async () => {
    const rt = runtime();
    const l = launch();
    await start(rt, l);
    await expect(rt.start(l)).rejects.toMatchObject({ code: 'SERVER_START_FAILED' });
    await expect(rt.start({ ...launch(), serverId: '../escape' })).rejects.toMatchObject({ code: 'SERVER_START_FAILED' });
  });

  it('rejects a pending stop with SHUTTING_DOWN when closed, leaving the server running', async () => {
    const rt = runtime();
    const instance = await start(rt, launch(localEchoBuild(['--ignore-sigterm'])));
    await reachable(instance);
    const stopping = rt.stop(instance.serverId, { graceMs: 60_000 });
    const rejected = expect(stopping).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    await vi.waitFor(() => expect(logOf(instance)).toContain('SIGTERM ignored'), WAIT);
    await rt.close();
    await rejected;
    await askEcho(instance);
    await expect(rt.start(launch())).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });

  it('keeps servers running when the control plane is interrupted, and the next one adopts them', async () => {
    const serverId = `local-${++seq}-restart`;
    const range = { from: BASE + 93, to: BASE + 95 };
    // A real control plane in a process of its own, in its own process group as a shell's
    // foreground job would be.
    const controlPlane = spawn(
      process.execPath,
      ['--import', 'tsx', CONTROL_PLANE, logDir, String(range.from), String(range.to), serverId],
      { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<void>((resolve) => controlPlane.once('exit', () => resolve()));
    let out = '';
    controlPlane.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    try {
      const instance = await vi.waitFor(() => {
        if (!out.includes('\n')) throw new Error('the control plane has not started the server yet');
        return JSON.parse(out.slice(0, out.indexOf('\n'))) as RuntimeInstance;
      }, WAIT);
      started.push(instance);
      await reachable(instance);

      // Ctrl-C in a terminal signals the whole foreground process group.
      if (controlPlane.pid === undefined) throw new Error('no control-plane pid');
      process.kill(-controlPlane.pid, 'SIGINT');
      await exited;
      await askEcho(instance);

      const next = runtime({ portRange: range });
      const exits = recordExits(next);
      expect(await next.adopt([instance])).toEqual({ adopted: [serverId], gone: [] });
      await next.stop(serverId, { graceMs: 20_000 });
      // We are not the parent of an adopted server: its code and signal cannot be known.
      expect(exits.of(serverId)).toEqual([{ serverId, code: null, signal: null, requested: true }]);
    } finally {
      if (controlPlane.exitCode === null && controlPlane.signalCode === null && controlPlane.pid !== undefined) {
        signalGroup(controlPlane.pid, 'SIGKILL');
      }
    }
  });
});
