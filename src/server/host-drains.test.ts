/**
 * A host drain's notice and deadline on a fake clock: the drain pass as the control plane wires
 * it (server/hosts.ts), over the real host registry, session service, world and SQLite store.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { HostService } from '../hosts/service.js';
import type { Notice } from '../sdk/protocol.js';
import { SessionService } from '../session/service.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleServer, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { drainCalledOff, hostDrains } from './hosts.js';

const reg = (id: string) => ({ id, zone: 'z1', region: 'eu', publicAddress: '10.0.0.1', portRange: { from: 7000, to: 7010 }, capacity: { slots: 4, cpuMillis: null, memoryMb: null } });

async function setup() {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:');
  const world = new World();
  world.putBuild(sampleBuild({ id: 'v1' }));
  world.fleets.set('arena', sampleFleet({ name: 'arena', currentBuild: 'v1' }));
  const where: Record<string, string> = { srv_a: 'h1', srv_b: 'h1', srv_c: 'h2' };
  for (const id of Object.keys(where)) world.putServer(sampleServer({ id, fleet: 'arena', build: 'v1', state: 'Active', drainDeadline: null }));
  let n = 0;
  const play = (server: string, playerId: string) => world.addSession(sampleSession({ id: `s${++n}`, fleet: 'arena', server, build: 'v1', playerId, state: 'Connected', openedAt: clock.now(), closedAt: null, closeReason: null }));
  play('srv_a', 'p1');
  play('srv_a', 'p2');
  play('srv_c', 'p3');
  const notices: [string, Notice][] = [];
  const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: (id, notice) => notices.push([id, notice]) };
  const hostOf = (id: string): string | undefined => where[id];
  const hosts = await HostService.create(ctx, { heartbeatTimeoutMs: 3_600_000, embedded: null, drainCalledOff: drainCalledOff(ctx, hostOf) });
  await hosts.register(reg('h1'));
  await hosts.register(reg('h2'));
  const sessions = new SessionService(ctx, { joinSecret: 'secret', reservationTtlMs: 60_000 });
  const errors: string[] = [];
  const drains = hostDrains(ctx, { hosts, hostOf }, sessions, 1_000, (line) => errors.push(line));
  /** Moves the clock second by second, letting each pass's commit land. */
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 1_000) {
      clock.advance(Math.min(1_000, ms - t));
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
  };
  return { ctx, clock, store, world, hosts, sessions, drains, notices, errors, advance };
}

describe('a host drain with a notice and a deadline', () => {
  it('tells the host\'s game servers at the notice time, closes what is left at the deadline as migrated, and touches no other host', async () => {
    const { ctx, clock, store, world, hosts, sessions, drains, notices, errors, advance } = await setup();
    drains.start();
    const t0 = clock.now();
    await hosts.setSchedule('h1', 'Draining', { deadlineSeconds: 600, noticeLeadSeconds: 60 });
    const deadline = t0 + 600_000;

    await advance(540_000 - 1_000);
    expect(notices).toEqual([]);
    await advance(1_000);
    expect(notices).toEqual([
      ['srv_a', { type: 'drain', reason: 'host-draining', deadline, at: t0 + 540_000 }],
      ['srv_b', { type: 'drain', reason: 'host-draining', deadline, at: t0 + 540_000 }],
    ]);
    // Standing: a watch that reconnects is told again (sdk-backend's standing notices).
    expect([world.servers.get('srv_a')?.drainDeadline, world.servers.get('srv_c')?.drainDeadline]).toEqual([deadline, null]);

    // One player leaves on their own before the deadline.
    const p1 = [...world.sessions.values()].find((s) => s.playerId === 'p1');
    if (!p1) throw new Error('no session of p1');
    await sessions.close(p1.id, 'ended');
    const told = notices.length;

    await advance(59_000);
    expect(notices).toHaveLength(told);
    await advance(1_000);
    expect(notices.slice(told)).toEqual([['srv_a', { type: 'sessions-closed', players: ['p2'], reason: 'migrated', at: deadline }]]);
    await drains.stop();
    await ctx.persister.drain();

    const closed = await store.listSessions({ fleet: 'arena', open: false, limit: 100 });
    expect(Object.fromEntries(closed.map((s) => [s.playerId, s.closeReason]))).toEqual({ p1: 'ended', p2: 'migrated' });
    expect([...world.sessions.values()].map((s) => [s.playerId, s.state])).toEqual([['p3', 'Connected']]);
    const h1 = (await store.listHosts()).find((h) => h.id === 'h1');
    expect(h1?.drain).toEqual({ since: t0, deadline: { deadlineSeconds: 600, noticeLeadSeconds: 60 }, noticeAt: t0 + 540_000, closedAt: deadline });
    expect(hosts.drainsPending()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('closes nothing when the drain is called off before its deadline, and tells the servers the deadline is off', async () => {
    const { hosts, drains, notices, world, advance } = await setup();
    drains.start();
    await hosts.setSchedule('h1', 'Draining', { deadlineSeconds: 120, noticeLeadSeconds: 120 });
    await advance(2_000);
    expect(notices.map(([id, n]) => [id, n.type])).toEqual([['srv_a', 'drain'], ['srv_b', 'drain']]);
    await hosts.setSchedule('h1', 'Ready');
    expect(notices.slice(2).map(([id, n]) => [id, n.type])).toEqual([['srv_a', 'drain-cancelled'], ['srv_b', 'drain-cancelled']]);
    expect([world.servers.get('srv_a')?.drainDeadline, world.servers.get('srv_b')?.drainDeadline]).toEqual([null, null]);
    await advance(200_000);
    expect(notices).toHaveLength(4);
    expect([...world.sessions.values()].filter((s) => s.state !== 'Closed')).toHaveLength(3);
    await drains.stop();
  });
});
