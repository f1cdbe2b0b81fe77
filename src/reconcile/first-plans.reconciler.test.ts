/**
 * The reconciler's side of first-plans.ts: after a restart no fleet has a memo, and a pass plans
 * whole only as many of them as its budget takes; the others are planned in the next passes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { ServerService } from '../fleet/servers.js';
import { RolloutService } from '../rollout/service.js';
import type { RuntimeProvider } from '../runtime/port.js';
import { SessionService } from '../session/service.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleServer } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { FleetReconciler } from './reconciler.js';

const runsNothing: RuntimeProvider = {
  kind: 'none', start: async () => { throw new Error('no processes in this test'); }, stop: async () => undefined,
  adopt: async () => ({ adopted: [], gone: [] }), find: async () => undefined, onExit: () => undefined, close: async () => undefined,
};

/** Three fleets of two servers each, idle for ten minutes past a one-second idle timeout: every first plan stops both. */
function setup(budget: number) {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:');
  const world = new World();
  world.putBuild(sampleBuild({ id: 'v1' }));
  const now = clock.now();
  for (const fleet of ['a', 'b', 'c']) {
    world.fleets.set(fleet, sampleFleet({
      name: fleet, currentBuild: 'v1', routing: { entries: [{ build: 'v1', weight: 100 }] },
      capacity: { minServers: 0, maxServers: 4, bufferServers: 0, idleTimeoutSeconds: 1 },
      health: { timeoutSeconds: 600, startTimeoutSeconds: 600, stopGraceSeconds: 5 },
    }));
    for (const n of [1, 2]) {
      world.putServer(sampleServer({
        id: `${fleet}${n}`, token: `t-${fleet}${n}`, fleet, build: 'v1', state: 'Ready', pid: null, identity: null,
        createdAt: now - 700_000, lastHealthAt: now, emptySince: now - 600_000, stopRequestedAt: null,
      }));
    }
  }
  const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: () => undefined };
  const sessions = new SessionService(ctx, { joinSecret: 's', reservationTtlMs: 60_000 });
  const rollouts = new RolloutService(ctx, sessions, { cwd: process.cwd(), kick: () => undefined });
  const servers = new ServerService(ctx, runsNothing, sessions, { sdkUrls: () => [], backoffBaseMs: 1, backoffMaxMs: 1, kick: () => undefined });
  const reconciler = new FleetReconciler(ctx, clock, servers, sessions, rollouts, { intervalMs: 1_000, firstPlanBudget: budget, onError: (e) => { throw e; } });
  /** Fleets whose servers the passes so far have acted on. */
  const planned = (): string[] => [...new Set([...world.servers.values()].filter((s) => s.state !== 'Ready').map((s) => s.fleet))].sort();
  reconciler.start();
  running.push({ reconciler, store });
  return { reconciler, planned };
}

/** What each test started, stopped after it (passing or not). */
const running: { reconciler: FleetReconciler; store: SqliteStore }[] = [];
afterEach(async () => {
  for (const { reconciler, store } of running.splice(0)) {
    await reconciler.stop();
    await store.close();
  }
});

describe('FleetReconciler first plans after a restart', () => {
  it('plans whole only the fleets its budget takes in one pass, and the rest in the next passes', async () => {
    const { reconciler, planned } = setup(4);
    await reconciler.passNow();
    expect(planned()).toEqual(['a', 'b']);
    await reconciler.passNow();
    expect(planned()).toEqual(['a', 'b', 'c']);
  });

  it('plans every fleet in the first pass when the budget holds them all', async () => {
    const { reconciler, planned } = setup(20_000);
    await reconciler.passNow();
    expect(planned()).toEqual(['a', 'b', 'c']);
  });

  it('plans every fleet when a whole pass is asked for, whatever the budget', async () => {
    const { reconciler, planned } = setup(1);
    await reconciler.passNow({ whole: true });
    expect(planned()).toEqual(['a', 'b', 'c']);
  });
});
