/**
 * MultiHostRuntime over simulated hosts (one simulated machine, a runtime per host): where a
 * server goes, and the usage placement sees as servers start and exit.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { usageKey, type HostUsage } from '../../hosts/view.js';
import type { ServerLaunch } from '../port.js';
import { SimulatedHost } from '../simulated/host.js';
import { SimulatedRuntime } from '../simulated/simulated-runtime.js';
import { ECHO_PROGRAM, echoProgram, simulatedEchoBuild } from '../simulated/testdata/echo-program.js';
import { MultiHostRuntime } from './multi-host-runtime.js';

function setup(order: string[]) {
  const clock = new FakeClock();
  const host = new SimulatedHost({ clock, programs: { [ECHO_PROGRAM]: echoProgram } });
  const remotes = new Map<string, SimulatedRuntime>();
  const seen: ReadonlyMap<string, HostUsage>[] = [];
  const next = [...order];
  const runtime = new MultiHostRuntime({
    embedded: { hostId: 'local', runtime: SimulatedRuntime.create({ host, clock, portRange: { from: 7400, to: 7409 } }) },
    remote: (id) => {
      const rt = remotes.get(id) ?? SimulatedRuntime.create({ host, clock, portRange: { from: 7410, to: 7499 } });
      remotes.set(id, rt);
      return rt;
    },
    place: (_launch, usage) => {
      seen.push(new Map([...usage].map(([h, u]) => [h, { slots: u.slots, byFleet: new Map(u.byFleet), byBuild: new Map(u.byBuild) }])));
      return next.shift() ?? 'local';
    },
    connectedHosts: () => [...remotes.keys()],
    fleetOf: () => undefined,
  });
  let seq = 0;
  const launch = (fleet: string, build: string): ServerLaunch => ({ serverId: `srv-${++seq}`, fleet, build: { ...simulatedEchoBuild([]), id: build }, env: {} });
  return { runtime, seen, launch, clock };
}

const slots = (usage: Iterable<[string, HostUsage]>): Record<string, number> => Object.fromEntries([...usage].filter(([, u]) => u.slots > 0).map(([h, u]) => [h, u.slots]));

describe('MultiHostRuntime', () => {
  it('counts what runs per host, fleet and build as servers start, and tags remote identities with their host', async () => {
    const { runtime, seen, launch } = setup(['h1', 'h2', 'h1']);
    const a = await runtime.start(launch('arena', 'v1'));
    await runtime.start(launch('arena', 'v2'));
    await runtime.start(launch('duel', 'v1'));
    expect(a.identity.startsWith('@h1/')).toBe(true);
    expect(seen.map(slots)).toEqual([{}, { h1: 1 }, { h1: 1, h2: 1 }]);
    const usage = runtime.usage();
    expect(slots(usage)).toEqual({ h1: 2, h2: 1 });
    expect(usage.get('h1')?.byFleet).toEqual(new Map([['arena', 1], ['duel', 1]]));
    expect(usage.get('h1')?.byBuild.get(usageKey('arena', 'v1'))).toBe(1);
    expect(usage.get('h2')?.byBuild.get(usageKey('arena', 'v2'))).toBe(1);
    expect(runtime.hostOf(a.serverId)).toBe('h1');
  });

  it("gives a server's slot back when it exits, and when its host reports it gone", async () => {
    const { runtime, launch, clock } = setup(['h1', 'h2']);
    const a = await runtime.start(launch('arena', 'v1'));
    const b = await runtime.start(launch('arena', 'v1'));
    const stopping = runtime.stop(a.serverId, { graceMs: 1_000 });
    clock.advance(1_000);
    await stopping;
    expect(slots(runtime.usage())).toEqual({ h2: 1 });
    runtime.hostReported('h2', []);
    expect(slots(runtime.usage())).toEqual({});
    expect(runtime.hostOf(b.serverId)).toBeUndefined();
  });
});
