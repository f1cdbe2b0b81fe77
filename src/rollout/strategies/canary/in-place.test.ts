import { describe, expect, it } from 'vitest';
import { takesNewSessions } from '../../../allocation/routing.js';
import { HandoffError } from '../../../core/errors.js';
import { planAbort } from '../../commands.js';
import type { RolloutServer } from '../../strategy.js';
import { observeReplacement } from '../replace.js';
import { canary } from './index.js';
import { IN_PLACE_DRAIN_REASON, inPlaceCaps, inPlaceCount, initialInPlace, provisionInPlace } from './in-place.js';
import { startedInPlace, T0, type CanaryRollout } from './testing.js';
import { canaryProgress, planCanary } from './plan.js';

const s = (id: string, build: string, state: RolloutServer['state'] = 'Ready', used = 0): RolloutServer => ({ id, build, state, used });
const builds = { fromBuild: 'v1', toBuild: 'v2' };

/** Applies a plan's patch, as the service does, so a test can walk a release pass by pass. */
function step(r: CanaryRollout, servers: RolloutServer[], now: number): { r: CanaryRollout; plan: ReturnType<typeof planCanary> } {
  const plan = planCanary({ rollout: r, servers, now });
  return { r: { ...r, ...plan.patch, spec: r.spec }, plan };
}

describe('inPlaceCount', () => {
  it.each<[string, number | string, number, number]>([
    ['a count as it is', 2, 4, 2],
    ['a percentage of the running servers, rounded up', '25%', 6, 2],
    ['a small percentage as one server', '1%', 3, 1],
  ])('reads %s', (_what, asked, running, want) => {
    expect(inPlaceCount({ inPlaceServers: asked }, running)).toBe(want);
  });

  it('replaces one server when the spec does not say', () => {
    expect(inPlaceCount({}, 3)).toBe(1);
  });

  it.each<[string, number | string, number, RegExp]>([
    ['no server at all', 0, 4, /replaces no server/],
    ['every server the old build runs', 4, 4, /fewer than all of them/],
    ['a percentage that is every server', '100%', 3, /fewer than all of them/],
    ['the only server of a one-server fleet', 1, 1, /fewer than all of them/],
  ])('refuses %s with ROLLOUT_INVALID_SPEC', (_what, asked, running, message) => {
    const refuse = (): number => inPlaceCount({ inPlaceServers: asked }, running);
    expect(refuse).toThrow(HandoffError);
    expect(refuse).toThrow(message);
    try {
      refuse();
    } catch (e) {
      expect((e as HandoffError).code).toBe('ROLLOUT_INVALID_SPEC');
    }
  });
});

describe('inPlaceCaps', () => {
  const ip = { ...initialInPlace(2, { maxServers: 4 }, 4), drained: ['o1', 'o2'] };
  const caps = (servers: RolloutServer[], phase: Parameters<typeof inPlaceCaps>[3], weight = 0, routed = false, drainingNow = 0) =>
    inPlaceCaps(ip, observeReplacement(servers, 'v1', 'v2'), drainingNow, phase, weight, routed);

  it.each<[string, RolloutServer[], Parameters<typeof inPlaceCaps>[3], number, boolean, { oldCap: number; canaryCap: number }]>([
    ['a full fleet gives the canary nothing until an old server goes', [s('o1', 'v1', 'Draining', 2), s('o2', 'v1', 'Draining', 1), s('o3', 'v1'), s('o4', 'v1')], 'Provisioning', 0, false, { oldCap: 2, canaryCap: 0 }],
    ['the room an emptied old server leaves goes to the canary', [s('o2', 'v1', 'Draining', 1), s('o3', 'v1'), s('o4', 'v1')], 'Provisioning', 0, false, { oldCap: 2, canaryCap: 1 }],
    ['the canary asks for its servers, no more, before anyone is routed', [s('o3', 'v1'), s('n1', 'v2', 'Starting')], 'Provisioning', 0, false, { oldCap: 2, canaryCap: 2 }],
    ['a weight above the replaced servers asks for its share of the fleet', [s('o3', 'v1'), s('n1', 'v2'), s('n2', 'v2')], 'Progressing', 75, true, { oldCap: 1, canaryCap: 3 }],
    ['the old build keeps one server until 100 %', [s('o3', 'v1'), s('n1', 'v2'), s('n2', 'v2')], 'Progressing', 99, true, { oldCap: 1, canaryCap: 3 }],
    ['draining, every free place goes to the canary', [s('o3', 'v1', 'Active', 2), s('n1', 'v2'), s('n2', 'v2')], 'Draining', 100, true, { oldCap: 1, canaryCap: 3 }],
  ])('%s', (_what, servers, phase, weight, routed, want) => {
    expect(caps(servers, phase, weight, routed)).toEqual(want);
  });

  it('never caps a build below the servers it has up (room is handed out, never taken back)', () => {
    const servers = [s('o3', 'v1'), s('o4', 'v1'), s('n1', 'v2'), s('n2', 'v2')];
    expect(caps(servers, 'Progressing', 10, true)).toEqual({ oldCap: 2, canaryCap: 2 });
  });

  it('leaves out of the old build\'s cap the servers this pass takes out of rotation', () => {
    const servers = [s('o1', 'v1'), s('o2', 'v1'), s('o3', 'v1'), s('o4', 'v1')];
    expect(caps(servers, 'Provisioning', 0, false, 2)).toEqual({ oldCap: 2, canaryCap: 0 });
  });
});

describe('provisionInPlace', () => {
  const ip = initialInPlace(2, { maxServers: 4 }, 4);

  it('takes the emptiest old servers out of rotation first, ties by id', () => {
    const { drains, next } = provisionInPlace(ip, [s('o1', 'v1', 'Active', 3), s('o2', 'v1', 'Active', 1), s('o3', 'v1'), s('o4', 'v1', 'Active', 1)], builds, T0);
    expect(drains.map((d) => d.id)).toEqual(['o3', 'o2']);
    expect(next.drained).toEqual(['o3', 'o2']);
  });

  it('never takes the last old server in rotation out, and takes no server twice', () => {
    const once = provisionInPlace({ ...ip, servers: 3 }, [s('o1', 'v1', 'Active', 1), s('o2', 'v1', 'Active', 2)], builds, T0);
    expect(once.drains.map((d) => d.id)).toEqual(['o1']);
    const again = provisionInPlace(once.next, [s('o1', 'v1', 'Draining', 1), s('o2', 'v1', 'Active', 2)], builds, T0 + 1000);
    expect(again.drains).toEqual([]);
  });

  it('counts a drained server that has gone as replaced', () => {
    const { next } = provisionInPlace({ ...ip, drained: ['o1', 'o2'] }, [s('o2', 'v1', 'Draining', 1), s('o3', 'v1'), s('o4', 'v1'), s('n1', 'v2', 'Starting')], builds, T0);
    expect(next.replaced).toBe(1);
  });

  it('runs the ready timer only while canary servers are asked for and not all Ready', () => {
    const full = [s('o1', 'v1', 'Draining', 2), s('o2', 'v1', 'Draining', 1), s('o3', 'v1'), s('o4', 'v1')];
    expect(provisionInPlace({ ...ip, drained: ['o1', 'o2'] }, full, builds, T0).next.waitingSince).toBeNull();
    const asked = [s('o2', 'v1', 'Draining', 1), s('o3', 'v1'), s('o4', 'v1'), s('n1', 'v2', 'Starting')];
    expect(provisionInPlace({ ...ip, drained: ['o1', 'o2'] }, asked, builds, T0 + 9000).next.waitingSince).toBe(T0 + 9000);
    expect(provisionInPlace({ ...ip, drained: ['o1', 'o2'], waitingSince: T0 + 9000 }, asked, builds, T0 + 12_000).next.waitingSince).toBe(T0 + 9000);
  });
});

describe('planCanary in place', () => {
  const fleet = [s('o1', 'v1', 'Active', 3), s('o2', 'v1'), s('o3', 'v1', 'Active', 2), s('o4', 'v1', 'Active', 1)];

  it('starts by taking the emptiest old servers out of rotation, with its reason, and routes nobody to the canary', () => {
    const { plan, r } = step(startedInPlace(2), fleet, T0 + 1000);
    expect(plan.drainServers).toEqual([{ serverId: 'o2', reason: IN_PLACE_DRAIN_REASON }, { serverId: 'o4', reason: IN_PLACE_DRAIN_REASON }]);
    expect(plan.routing ?? null).toBeNull();
    expect(r.phase).toBe('Provisioning');
    expect(r.message).toMatch(/replacing 2 v1 servers in place: 2 emptying \(1 sessions\), 0 replaced; 0\/2 canary servers Ready/);
  });

  it('waits for old servers to empty longer than the ready timeout without failing: that wait is the players\', not the build\'s', () => {
    let { r } = step(startedInPlace(1), fleet, T0 + 1000);
    const emptying = [s('o1', 'v1', 'Active', 3), s('o2', 'v1', 'Draining', 1), s('o3', 'v1', 'Active', 2), s('o4', 'v1', 'Active', 1)];
    ({ r } = step(r, emptying, T0 + 10 * r.spec.readyTimeoutSeconds * 1000));
    expect(r.phase).toBe('Provisioning');
    expect(canaryProgress(r).inPlace?.waitingSince).toBeNull();
  });

  it('fails when the canary servers it asked for are not Ready within the ready timeout, counted from the ask', () => {
    let { r } = step(startedInPlace(1), fleet, T0 + 1000);
    const asked = [s('o1', 'v1', 'Active', 3), s('o3', 'v1', 'Active', 2), s('o4', 'v1', 'Active', 1), s('n1', 'v2', 'Starting')];
    const at = T0 + 100_000;
    ({ r } = step(r, asked, at));
    expect(r.phase).toBe('Provisioning');
    ({ r } = step(r, asked, at + r.spec.readyTimeoutSeconds * 1000));
    expect(r.phase).toBe('Provisioning');
    ({ r } = step(r, asked, at + r.spec.readyTimeoutSeconds * 1000 + 1));
    expect(r.phase).toBe('Failed');
    expect(r.message).toMatch(/v2: 0\/1 canary servers Ready after 30s/);
  });

  it('begins its steps once its servers are Ready, and gives the fleet planner caps that keep the fleet within its max', () => {
    let { r } = step(startedInPlace(1), fleet, T0 + 1000);
    const replaced = [s('o1', 'v1', 'Active', 3), s('o3', 'v1', 'Active', 2), s('o4', 'v1', 'Active', 1), s('n1', 'v2')];
    const { r: next, plan } = step(r, replaced, T0 + 2000);
    r = next;
    expect(r.phase).toBe('Paused');
    expect(plan.routing?.entries).toEqual([{ build: 'v1', weight: 75 }, { build: 'v2', weight: 25 }]);
    const roles = canary.roles(r, 600);
    const ip = canaryProgress(r).inPlace;
    expect(ip && ip.oldCap + ip.canaryCap).toBeLessThanOrEqual(4);
    expect(roles.get('v2')).toMatchObject({ role: 'routed', cap: ip?.canaryCap });
    expect(roles.get('v1')).toMatchObject({ role: 'routed', cap: ip?.oldCap });
  });

  it('abort sends new sessions back to the old build, and retires the canary\'s servers once empty', () => {
    const { r } = step(startedInPlace(1), fleet, T0 + 1000);
    const abort = planAbort(r, fleet, T0 + 2000);
    expect(abort.patch.phase).toBe('Aborted');
    expect(abort.routing && takesNewSessions(abort.routing, 'v2')).toBe(false);
    expect(abort.routing && takesNewSessions(abort.routing, 'v1')).toBe(true);
    const after = { ...r, ...abort.patch, spec: r.spec } as CanaryRollout;
    expect(canary.roles(after, 600).get('v2')).toMatchObject({ role: 'retiring' });
  });
});
