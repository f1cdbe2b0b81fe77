/**
 * A per-batch analysis through the real rollout service, state, store and signal service (no
 * processes, a fake clock): the batch's verdict comes from the signals the events fed, and a
 * failing one fails the release, restores the routing and is stored with its numbers.
 */
import { setTimeout as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SignalService } from '../../../analysis/signals/service.js';
import { AnalysisSpecSchema } from '../../../analysis/spec.js';
import { FakeClock } from '../../../core/clock.js';
import { SessionService } from '../../../session/service.js';
import { event, type Ctx } from '../../../state/context.js';
import { Persister } from '../../../state/persister.js';
import { World } from '../../../state/world.js';
import { sampleBuild, sampleFleet, sampleServer } from '../../../store/fixtures.js';
import { SqliteStore } from '../../../store/sqlite/sqlite-store.js';
import { RolloutService } from '../../service.js';
import { rollingSpec } from './testing.js';

const ANALYSIS = AnalysisSpecSchema.parse({ windowSeconds: 30, metrics: [{ metric: 'crash_rate', max: 0.05, minSamples: 2 }] });

function setup() {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:');
  const world = new World();
  world.putBuild(sampleBuild({ id: 'v1' }));
  world.putBuild(sampleBuild({ id: 'v2' }));
  world.fleets.set('arena', sampleFleet({
    name: 'arena', currentBuild: 'v1', routing: { entries: [{ build: 'v1', weight: 100 }] },
    capacity: { minServers: 2, maxServers: 2, bufferServers: 0, idleTimeoutSeconds: 600 },
  }));
  const server = { fleet: 'arena', pid: null, identity: null, createdAt: clock.now() - 60_000, lastHealthAt: clock.now(), emptySince: null };
  world.putServer(sampleServer({ ...server, id: 'srv_a', token: 't1', build: 'v1', state: 'Active' as const }));
  world.putServer(sampleServer({ ...server, id: 'srv_b', token: 't2', build: 'v1', state: 'Ready' as const }));
  const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: () => undefined };
  const signals = new SignalService(world, clock.now());
  const rollouts = new RolloutService(ctx, new SessionService(ctx, { joinSecret: 's', reservationTtlMs: 60_000 }), { cwd: process.cwd(), kick: () => undefined, signals });
  return { clock, world, store, rollouts, signals, server };
}

describe('a rolling release judged batch by batch', () => {
  it('fails the release on the first batch\'s failing verdict, restores the routing and stores the numbers', async () => {
    const { clock, world, store, rollouts, signals, server } = setup();
    const r = await rollouts.start({ fleet: 'arena', build: 'v2', replace: false, spec: rollingSpec({ analysis: ANALYSIS }) });
    await store.commit(rollouts.reconcile('arena', clock.now()));
    // Batch 1: the old server the release took out of rotation left the fleet, and a v2 server took its place.
    const out = [...world.servers.values()].filter((s) => s.state === 'Draining');
    expect(out).toHaveLength(1);
    world.putServer({ ...out[0]!, state: 'Stopped' });
    world.putServer(sampleServer({ ...server, id: 'srv_n', token: 't3', build: 'v2', state: 'Ready' as const }));
    clock.advance(1_000);
    await store.commit(rollouts.reconcile('arena', clock.now()));
    const verifying = world.rollouts.get(r.id)!;
    expect(verifying).toMatchObject({ phase: 'Verifying', message: 'batch 1/2: analysing v2 against v1 for 30s' });
    expect(world.fleets.get('arena')?.routing.entries).toEqual([{ build: 'v1', weight: 50 }, { build: 'v2', weight: 50 }]);

    // During the window two v2 servers crash; the v1 server does not.
    for (const id of ['srv_n', 'srv_m']) signals.committed([event(clock.now() + 5_000, 'arena', 'server.crashed', id, 'crashed', { build: 'v2', code: 1 })]);
    clock.advance(10_000);
    rollouts.reconcile('arena', clock.now());
    await tick(20);
    expect(world.rollouts.get(r.id)?.phase).toBe('Verifying');

    clock.advance(21_000);
    rollouts.reconcile('arena', clock.now());
    for (let i = 0; i < 50 && world.rollouts.get(r.id)?.phase === 'Verifying'; i++) await tick(10);
    const failed = world.rollouts.get(r.id)!;
    expect(failed).toMatchObject({ phase: 'Failed', message: expect.stringMatching(/^batch 1\/2: analysis failed: fail: crash_rate/) });
    expect(world.fleets.get('arena')?.routing.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
    const stored = await store.getRollout(r.id);
    expect(stored?.analyses?.map((a) => [a.step, a.verdict])).toEqual([['batch 1/2', 'fail']]);
    expect(stored?.analyses?.[0]?.result.metrics[0]).toMatchObject({ metric: 'crash_rate', verdict: 'fail', canary: { n: 2, value: 1 } });
    expect((await store.listEvents({ limit: 100 })).map((e) => e.kind)).toContain('rollout.verdict');
  });
});
