/**
 * Background analysis through the real rollout service, state and store (no processes, a fake
 * clock, no signal source: every check is inconclusive). Under `onInconclusive: pause` the first
 * verdict holds the release, which does not move until `promote`; under the default it goes on.
 */
import { setTimeout as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { SessionService } from '../session/service.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleServer } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { BackgroundAnalysisSchema, type InconclusivePolicy } from './background.js';
import type { RolloutSpec } from './model.js';
import { RolloutService } from './service.js';

function setup() {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:');
  const world = new World();
  world.putBuild(sampleBuild({ id: 'v1' }));
  world.putBuild(sampleBuild({ id: 'v2' }));
  world.fleets.set('arena', sampleFleet({
    name: 'arena', currentBuild: 'v1', routing: { entries: [{ build: 'v1', weight: 100 }] },
    capacity: { minServers: 1, maxServers: 4, bufferServers: 0, idleTimeoutSeconds: 600 },
  }));
  const server = { fleet: 'arena', pid: null, identity: null, createdAt: clock.now() - 60_000, lastHealthAt: clock.now(), emptySince: null };
  world.putServer(sampleServer({ ...server, id: 'srv_a', token: 't1', build: 'v1', state: 'Active' as const }));
  const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: () => undefined };
  const rollouts = new RolloutService(ctx, new SessionService(ctx, { joinSecret: 's', reservationTtlMs: 60_000 }), { cwd: process.cwd(), kick: () => undefined });
  return { clock, world, store, rollouts, server };
}

const spec = (onInconclusive: InconclusivePolicy): RolloutSpec => ({
  strategy: 'blue-green', autoPromote: false, smoke: null, drain: null, oldIdleSeconds: null, readyTimeoutSeconds: 3_600, maxStartFailures: 3,
  backgroundAnalysis: BackgroundAnalysisSchema.parse({ intervalSeconds: 30, windowSeconds: 60, onInconclusive, metrics: [{ metric: 'crash_rate', max: 0.05 }] }),
});

async function pass(t: ReturnType<typeof setup>, ms: number): Promise<void> {
  t.clock.advance(ms);
  await t.store.commit(t.rollouts.reconcile('arena', t.clock.now()));
  for (let i = 0; i < 20; i++) await tick(5);
}

describe('a background analysis run by the rollout service', () => {
  it('holds a release on an inconclusive verdict under onInconclusive: pause, until promote', async () => {
    const t = setup();
    const r = await t.rollouts.start({ fleet: 'arena', build: 'v2', replace: false, spec: spec('pause') });
    await pass(t, 1_000);
    expect(t.world.rollouts.get(r.id)?.background).toBeUndefined();
    await pass(t, 29_000);
    const held = t.world.rollouts.get(r.id)!;
    expect(held).toMatchObject({ phase: 'Provisioning', background: { runs: 1, running: null, heldAt: t.clock.now() }, message: expect.stringMatching(/^paused: background #1 analysis inconclusive/) });
    expect(held.analyses?.map((a) => [a.step, a.kind, a.verdict])).toEqual([['background #1', 'background', 'inconclusive']]);
    // Held: its v2 server becomes Ready, yet the release does not move on.
    t.world.putServer(sampleServer({ ...t.server, id: 'srv_n', token: 't2', build: 'v2', state: 'Ready' as const }));
    await pass(t, 1_000);
    expect(t.world.rollouts.get(r.id)).toMatchObject({ phase: 'Provisioning', background: { heldAt: held.background?.heldAt } });
    expect((await t.store.listEvents({ limit: 100 })).map((e) => e.kind)).toEqual(expect.arrayContaining(['rollout.verdict', 'rollout.paused']));

    await t.rollouts.promote(r.id);
    await pass(t, 1_000);
    // The hold is over and the strategy carries on; its own promote is still its own.
    expect(t.world.rollouts.get(r.id)).toMatchObject({ phase: 'AwaitingPromotion', background: { heldAt: null } });
    expect((await t.store.getRollout(r.id))?.background?.heldAt).toBeNull();
  });

  it('records an inconclusive verdict and lets the release go on by default', async () => {
    const t = setup();
    const r = await t.rollouts.start({ fleet: 'arena', build: 'v2', replace: false, spec: spec('continue') });
    t.world.putServer(sampleServer({ ...t.server, id: 'srv_n', token: 't2', build: 'v2', state: 'Ready' as const }));
    await pass(t, 30_000);
    await pass(t, 1_000);
    const after = t.world.rollouts.get(r.id)!;
    expect(after).toMatchObject({ phase: 'AwaitingPromotion', background: { runs: 1, heldAt: null } });
    expect(after.analyses?.map((a) => [a.step, a.verdict])).toEqual([['background #1', 'inconclusive']]);
  });
});
