import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { describeRuntimeContract, recordExits } from '../contract.js';
import type { ServerLaunch } from '../port.js';
import { SimulatedHost } from './host.js';
import { SimulatedRuntime } from './simulated-runtime.js';
import { askSimulatedEcho, ECHO_PROGRAM, echoProgram, simulatedEchoBuild } from './testdata/echo-program.js';

// The contract runs on the system clock (its waits are real); every server lives on one host,
// so the suite's fresh "control planes" adopt what earlier ones started, as on a real machine.
const host = new SimulatedHost({ programs: { [ECHO_PROGRAM]: echoProgram } });

describeRuntimeContract('simulated', {
  create: () => SimulatedRuntime.create({ host, portRange: { from: 7400, to: 7439 } }),
  createWithRoomForOne: () => SimulatedRuntime.create({ host, portRange: { from: 7440, to: 7440 } }),
  echoBuild: simulatedEchoBuild,
  killFromOutside: (instance) => {
    host.signal(instance.pid, 'SIGKILL', false);
  },
  ask: (instance) => askSimulatedEcho(host, instance),
  readLog: async (instance) => host.logOf(instance.pid),
});

describe('SimulatedRuntime', () => {
  let seq = 0;
  const launch = (flags: string[] = []): ServerLaunch => ({ serverId: `sim-${++seq}`, fleet: 'sim', build: simulatedEchoBuild(flags), env: {} });
  const setup = () => {
    const clock = new FakeClock();
    const h = new SimulatedHost({ clock, programs: { [ECHO_PROGRAM]: echoProgram } });
    return { clock, host: h, runtime: () => SimulatedRuntime.create({ host: h, portRange: { from: 7400, to: 7409 } }) };
  };

  it('sends SIGKILL only once the whole grace period has passed on its clock', async () => {
    const { clock, host: h, runtime } = setup();
    const rt = runtime();
    const exits = recordExits(rt);
    const instance = await rt.start(launch(['--ignore-sigterm']));
    clock.advance(5);
    const stopping = rt.stop(instance.serverId, { graceMs: 60_000 });
    expect(h.logOf(instance.pid)).toContain('SIGTERM ignored');
    clock.advance(59_999);
    expect(h.isRunning(instance.pid)).toBe(true);
    clock.advance(1);
    await stopping;
    expect(exits.of(instance.serverId)).toEqual([{ serverId: instance.serverId, code: null, signal: 'SIGKILL', requested: true }]);
  });

  it('reports the real exit code of an adopted server, which the local runtime cannot know', async () => {
    const { clock, runtime } = setup();
    const before = runtime();
    const instance = await before.start(launch());
    await before.close();
    const after = runtime();
    const exits = recordExits(after);
    expect(await after.adopt([instance])).toEqual({ adopted: [instance.serverId], gone: [] });
    const stopping = after.stop(instance.serverId, { graceMs: 10_000 });
    clock.advance(100);
    await stopping;
    expect(exits.of(instance.serverId)).toEqual([{ serverId: instance.serverId, code: 0, signal: null, requested: true }]);
  });

  it('does not hand a port another runtime of the same host gave out, even after a restart forgot it', async () => {
    const { runtime } = setup();
    const first = await runtime().start(launch());
    const second = await runtime().start(launch());
    expect(second.ports.game).not.toBe(first.ports.game);
  });

  it('finds a running server by id alone, for a record whose pid was never saved', async () => {
    const { runtime } = setup();
    const instance = await runtime().start(launch());
    expect(await runtime().find(instance.serverId)).toMatchObject({ pid: instance.pid, identity: instance.identity, ports: instance.ports });
    expect(await runtime().find('never-started')).toBeUndefined();
  });

  it('refuses at registration a build the host has no program for, with BUILD_EXECUTABLE_NOT_FOUND', () => {
    const { runtime } = setup();
    const echo = simulatedEchoBuild();
    expect(() => runtime().validateLaunch({ ...echo, launch: { ...echo.launch, executable: 'no-such-program' } })).toThrow(
      expect.objectContaining({ code: 'BUILD_EXECUTABLE_NOT_FOUND' }),
    );
    expect(() => runtime().validateLaunch(echo)).not.toThrow();
  });

  it('runs no timer of a process that has exited', async () => {
    const { clock, host: h, runtime } = setup();
    const rt = runtime();
    const instance = await rt.start(launch());
    h.signal(instance.pid, 'SIGKILL', false);
    clock.advance(1_000);
    expect(h.logOf(instance.pid)).not.toContain('listening');
  });
});
