import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateRoutingTable } from '../../../allocation/decide-routing.js';
import { planFleet, type ServerObservation } from '../../../fleet/plan-fleet.js';
import { planAbort, planPromote } from '../../commands.js';
import type { Rollout } from '../../model.js';
import { fleetRoles } from '../../roles.js';
import type { RolloutServer } from '../../strategy.js';
import { dynamicPool, poolTarget } from './index.js';
import { olderBuilds, planDynamicPool, poolRouting } from './plan.js';
import type { DynamicPoolSpec } from './spec.js';

const T0 = 9_000_000;
const spec: DynamicPoolSpec = { strategy: 'dynamic-pool', servers: 2, oldIdleSeconds: 600, readyTimeoutSeconds: 60, maxStartFailures: 3, migration: null };
const rollout = (over: Partial<Omit<Rollout, 'spec'>> & { spec?: DynamicPoolSpec } = {}): Rollout & { spec: DynamicPoolSpec } => ({
  id: 'ro_p', fleet: 'arena', fromBuild: 'v1', toBuild: 'v2', spec,
  phase: 'Provisioning', message: '', targetServers: 2, startFailures: 0, lastFailure: null, smoke: null,
  previousRouting: { entries: [{ build: 'v1', weight: 100 }] }, supersededBy: null,
  createdAt: T0, updatedAt: T0, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null,
  migratedAt: null, completedAt: null, abortedAt: null, failedAt: null, ...over,
});
const s = (id: string, build: string, state: RolloutServer['state'] = 'Ready', used = 0): RolloutServer => ({ id, build, state, used });
const old = [s('o1', 'v1', 'Active', 3), s('o2', 'v1', 'Ready', 0)];
const inPool = rollout({ phase: 'Progressing', readyAt: T0, switchedAt: T0 });

describe('planDynamicPool', () => {
  it('waits while fewer than N servers of the new build are Ready, routing unchanged', () => {
    const p = planDynamicPool({ rollout: rollout(), servers: [...old, s('n1', 'v2'), s('n2', 'v2', 'Starting')], now: T0 + 1 });
    expect(p.routing).toBeNull();
    expect(p.patch).toEqual({ message: 'waiting for v2: 1/2 servers Ready' });
  });

  it('adds the new servers to the pool once N are Ready: the newest build is preferred, the old one takes the overflow', () => {
    const p = planDynamicPool({ rollout: rollout(), servers: [...old, s('n1', 'v2'), s('n2', 'v2')], now: T0 + 2 });
    expect(p.routing).toEqual({ entries: [{ build: 'v2', weight: 100, rank: 2 }, { build: 'v1', weight: 1, rank: 1 }], prefer: 'newest' });
    expect(p.patch).toMatchObject({ phase: 'Progressing', readyAt: T0 + 2, switchedAt: T0 + 2 });
    expect(p.migrate).toEqual([]);
  });

  it.each([
    ['a crash-looping build', { startFailures: 3, lastFailure: 'exit code 1' }, T0 + 1, 'failed to start 3 times'],
    ['a build not Ready in time', {}, T0 + 61_000, 'was not Ready within 60s'],
  ])('fails before anything is routed to %s, and keeps the routing it had', (_what, over, now, message) => {
    const p = planDynamicPool({ rollout: rollout(over), servers: [s('n1', 'v2', 'Starting')], now });
    expect(p.patch).toMatchObject({ phase: 'Failed' });
    expect(p.patch.message).toContain(message);
    expect(p.routing?.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
  });

  it('keeps every build of an earlier pool below the new one, in its order (back-to-back releases)', () => {
    const previousRouting = { entries: [{ build: 'v1', weight: 1, rank: 1 }, { build: 'v2', weight: 100, rank: 2 }], prefer: 'newest' as const };
    const r = rollout({ fromBuild: 'v2', toBuild: 'v3', previousRouting });
    expect(olderBuilds(r)).toEqual(['v2', 'v1']);
    expect(poolRouting(r).entries).toEqual([{ build: 'v3', weight: 100, rank: 3 }, { build: 'v2', weight: 1, rank: 2 }, { build: 'v1', weight: 1, rank: 1 }]);
  });

  it.each([
    ['in the pool', poolRouting(rollout())],
    ['after a migration notice', poolRouting(rollout(), true)],
  ])('writes a valid routing table %s', (_when, table) => {
    expect(() => validateRoutingTable(table)).not.toThrow();
  });

  it('keeps going while any old server is up, and completes once none is', () => {
    const p = planDynamicPool({ rollout: inPool, servers: [...old, s('n1', 'v2', 'Active', 4)], now: T0 + 5 });
    expect(p.patch).toEqual({ message: 'v1: 2 servers, 3 sessions left' });
    expect(p.routing).toBeNull();
    const done = planDynamicPool({ rollout: inPool, servers: [s('n1', 'v2', 'Active', 4)], now: T0 + 6 });
    expect(done.patch).toMatchObject({ phase: 'Completed', completedAt: T0 + 6 });
    expect(done.routing).toEqual({ entries: [{ build: 'v2', weight: 100 }] });
    expect(done.completeFleetWith).toBe('v2');
  });

  it('closes the old build to new sessions at the migration notice, and migrates what is left at the deadline', () => {
    const migrating = rollout({ ...inPool, spec: { ...spec, migration: { afterSeconds: 30, belowPlayers: null, noticeSeconds: 10, tokenTtlSeconds: 60 } } });
    const notice = planDynamicPool({ rollout: migrating, servers: old, now: T0 + 30_000 });
    expect(notice.routing).toEqual(poolRouting(migrating, true));
    expect(notice.notices.map((n) => [n.serverId, n.notice])).toEqual(['o1', 'o2'].map((id) => [id, { type: 'migrate', build: 'v2', deadline: T0 + 40_000, at: T0 + 30_000 }]));
    const told = old.map((x) => ({ ...x, migrationDeadline: T0 + 40_000 }));
    const after = { ...migrating, ...notice.patch, spec: migrating.spec };
    expect(planDynamicPool({ rollout: after, servers: told, now: T0 + 39_999 }).migrate).toEqual([]);
    const atDeadline = planDynamicPool({ rollout: after, servers: told, now: T0 + 40_000 });
    expect(atDeadline.migrate).toEqual(['o1']);
    expect(atDeadline.migrateTo).toEqual({ build: 'v2', tokenTtlSeconds: 60 });
    expect(atDeadline.routing).toBeNull();
  });

  it('does nothing for a finished release', () => {
    for (const phase of ['Completed', 'Aborted', 'Failed', 'Superseded'] as const) {
      expect(planDynamicPool({ rollout: rollout({ phase }), servers: old, now: T0 })).toEqual({ patch: {}, routing: null, smokeOn: null, notices: [], migrate: [], completeFleetWith: null });
    }
  });
});

describe('dynamic-pool roles and commands', () => {
  const pooled = poolRouting(rollout());

  it('starts exactly N new servers before they join the pool', () => {
    expect(fleetRoles({ entries: [{ build: 'v1', weight: 100 }] }, 600, rollout()).get('v2')).toEqual({ role: 'preview', target: 2 });
  });

  it('lets the old build take the overflow but never grow, and retires its servers on the idle time', () => {
    const roles = fleetRoles(pooled, 60, inPool);
    expect(roles.get('v1')).toEqual({ role: 'retiring', idleSeconds: 600, fallback: true });
    expect(roles.get('v2')).toMatchObject({ role: 'routed' });
  });

  it('abort sends new sessions back to the old build and retires the new one once its servers are empty', () => {
    const p = planAbort(inPool, [...old, s('n1', 'v2', 'Active', 2)], T0 + 5);
    expect(p.routing?.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
    const aborted = rollout({ ...inPool, ...p.patch, spec });
    expect(aborted.phase).toBe('Aborted');
    const roles = fleetRoles(p.routing ?? pooled, 60, aborted);
    expect(roles.get('v1')).toEqual({ role: 'routed', share: 1 });
    expect(roles.get('v2')).toEqual({ role: 'retiring', idleSeconds: 600 });
  });

  it('refuses promote, which a pool does not need, with ROLLOUT_INVALID_PHASE', () => {
    expect(() => planPromote(inPool, {}, T0)).toThrow(expect.objectContaining({ code: 'ROLLOUT_INVALID_PHASE' }));
  });

  it('counts as routed once the new servers joined the pool', () => {
    expect(dynamicPool.hasRouted(rollout())).toBe(false);
    expect(dynamicPool.hasRouted(inPool)).toBe(true);
  });

  it.each([
    ['match', 3, 3],
    ['match', 0, 2],
    [5, 9, 5],
    [50, 1, 10],
  ] as const)('brings up %s new servers (%i old running) as %i, within the fleet max', (servers, running, want) => {
    expect(poolTarget(servers, { minServers: 2, maxServers: 10 }, running)).toBe(want);
  });
});

describe('dynamic pool over random fleets (property)', () => {
  const server = fc.record({
    id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
    build: fc.constantFrom('v1', 'v2'),
    state: fc.constantFrom('Starting', 'Ready', 'Active', 'Draining', 'Unhealthy'),
    used: fc.nat(3),
  }) as fc.Arbitrary<RolloutServer>;
  const migration = fc.option(fc.record({ afterSeconds: fc.option(fc.nat(60)), belowPlayers: fc.option(fc.integer({ min: 1, max: 8 })), noticeSeconds: fc.nat(30), tokenTtlSeconds: fc.constant(60) }), { nil: null });
  const passes = fc.array(fc.tuple(fc.uniqueArray(server, { selector: (x) => x.id, maxLength: 6 }), fc.nat(20_000)), { maxLength: 25 });

  it('never stops or migrates a server with sessions unless it announced the move, and never grows the old build once in the pool', () => {
    fc.assert(fc.property(migration, passes, (m, steps) => {
      let r = rollout({ spec: { ...spec, servers: 1, migration: m && (m.afterSeconds === null && m.belowPlayers === null ? { ...m, afterSeconds: 0 } : m) }, targetServers: 1 });
      let routing = r.previousRouting ?? { entries: [] };
      let now = T0;
      const announced = new Map<string, number>();
      for (const [servers, dt] of steps) {
        now += dt;
        const observed = servers.map((x) => ({ ...x, migrationDeadline: announced.get(x.id) ?? null }));
        const plan = planDynamicPool({ rollout: r, servers: observed, now });
        for (const id of plan.migrate) expect(now).toBeGreaterThanOrEqual(announced.get(id) ?? Infinity);
        for (const n of plan.notices) if (n.notice.type === 'migrate') announced.set(n.serverId, n.notice.deadline);
        r = { ...r, ...plan.patch, spec: r.spec };
        routing = plan.routing ?? routing;
        const fleet: ServerObservation[] = observed.map((x) => ({
          ...x, roster: 0, unverified: false, createdAt: T0, lastHealthAt: now, emptySince: x.used > 0 ? null : T0, stopRequestedAt: null,
        }));
        const actions = planFleet({
          capacity: { minServers: 2, maxServers: 6, bufferServers: 1, idleTimeoutSeconds: 600 },
          health: { timeoutSeconds: 30, startTimeoutSeconds: 60 },
          servers: fleet, roles: fleetRoles(routing, 600, r), startNotBefore: new Map(), observingSince: T0, now,
        });
        for (const a of actions) {
          if (a.kind === 'stop') expect(observed.find((x) => x.id === a.serverId)?.used, `stopped ${a.serverId}`).toBe(0);
          if (a.kind === 'start' && r.phase === 'Progressing') expect(a.build).toBe('v2');
        }
      }
    }));
  });
});
