/**
 * The rolling strategy through the real rollout service and state (no processes): the generic
 * `drainServers` action takes a server out of rotation without touching its sessions, and bad
 * options are refused before anything changes.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../core/clock.js';
import { SessionService } from '../../../session/service.js';
import type { Ctx } from '../../../state/context.js';
import { Persister } from '../../../state/persister.js';
import { World } from '../../../state/world.js';
import { sampleBuild, sampleFleet, sampleServer, sampleSession } from '../../../store/fixtures.js';
import { SqliteStore } from '../../../store/sqlite/sqlite-store.js';
import { RolloutService } from '../../service.js';
import { rollingSpec } from './testing.js';

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
  const now = clock.now();
  const server = { fleet: 'arena', build: 'v1', pid: null, identity: null, createdAt: now - 60_000, lastHealthAt: now, state: 'Active' as const, emptySince: null };
  world.putServer(sampleServer({ ...server, id: 'srv_a', token: 't1' }));
  world.putServer(sampleServer({ ...server, id: 'srv_b', token: 't2' }));
  world.addSession(sampleSession({ id: 'ses_1', fleet: 'arena', server: 'srv_a', build: 'v1', playerId: 'p1', partyId: null }));
  world.addSession(sampleSession({ id: 'ses_2', fleet: 'arena', server: 'srv_a', build: 'v1', playerId: 'p2', partyId: null }));
  world.addSession(sampleSession({ id: 'ses_3', fleet: 'arena', server: 'srv_b', build: 'v1', playerId: 'p3', partyId: null }));
  const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: () => undefined };
  const sessions = new SessionService(ctx, { joinSecret: 's', reservationTtlMs: 60_000 });
  const rollouts = new RolloutService(ctx, sessions, { cwd: process.cwd(), kick: () => undefined });
  return { clock, world, store, rollouts };
}

describe('a rolling release through the rollout service', () => {
  it('takes the emptiest old server out of rotation, keeping its session, with reason and event', async () => {
    const { clock, world, store, rollouts } = setup();
    const r = await rollouts.start({ fleet: 'arena', build: 'v2', replace: false, spec: rollingSpec() });
    expect(r).toMatchObject({ phase: 'Progressing', targetServers: 2, fromBuild: 'v1' });
    const mutations = rollouts.reconcile('arena', clock.now());
    await store.commit(mutations);
    expect(world.servers.get('srv_b')).toMatchObject({ state: 'Draining', drainReason: 'release', stopRequestedAt: null });
    expect(world.servers.get('srv_a')?.state).toBe('Active');
    expect(world.sessionsOn('srv_b').map((s) => s.id)).toEqual(['ses_3']);
    expect(world.fleets.get('arena')?.routing.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
    const events = (await store.listEvents({ limit: 100 })).map((e) => `${e.kind} ${e.subject}`);
    expect(events).toContain('server.draining srv_b');
    // The routing changed inside the phase: one `rollout.step` (what webhooks hear as `step`).
    expect(events.filter((e) => e === `rollout.step ${r.id}`)).toHaveLength(1);
    // A second pass changes nothing more: one server out of rotation at a time, and no second step.
    await store.commit(rollouts.reconcile('arena', clock.now() + 1000));
    expect((await store.listEvents({ limit: 100 })).filter((e) => e.kind === 'rollout.step')).toHaveLength(1);
    expect([...world.servers.values()].filter((s) => s.state === 'Draining').map((s) => s.id)).toEqual(['srv_b']);
  });

  it('refuses maxSurge 0 with maxUnavailable 0 as ROLLOUT_NO_PROGRESS and changes nothing', async () => {
    const { world, rollouts } = setup();
    await expect(rollouts.start({ fleet: 'arena', build: 'v2', replace: false, spec: rollingSpec({ maxSurge: 0, maxUnavailable: '0%' }) }))
      .rejects.toMatchObject({ code: 'ROLLOUT_NO_PROGRESS' });
    expect(world.rollouts.size).toBe(0);
    expect(world.fleets.get('arena')?.routing.entries).toEqual([{ build: 'v1', weight: 100 }]);
  });
});
