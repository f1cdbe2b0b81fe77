/**
 * Acceptance: a dynamic-pool release (the Arena single-deployment pattern) with a real control
 * plane, real arena servers and real WebSocket players: new players fill the newest build,
 * the old build only takes what the new one has no room for, and old servers stop once they
 * have been empty for the idle time — never while they host a player.
 */
import { describe, expect, it } from 'vitest';
import { must, useHarness, type Player } from './harness.js';
import {
  FLEET, V1, V2, applyArenaFleet, expectNoInterruptedSessions, expectStoppedOnlyWhenEmpty, waitForBuildStopped, waitForPhase,
} from './support/release.js';
import { waitFor } from './support/wait.js';

const harness = useHarness('dynamic-pool.e2e');

describe('a dynamic-pool release', () => {
  it('prefers the new build and stops old servers once idle', async () => {
    const h = harness();
    const { api } = h;
    // Two v1 servers of two seats; one player on one of them, the other empty.
    await applyArenaFleet(api, { sessionsPerServer: 2, minServers: 2, bufferServers: 0 });
    const early = await h.join(FLEET, 'early-1');
    expect(early.build).toBe(V1);
    const idleV1 = (await api.servers(FLEET)).find((s) => s.build === V1 && s.id !== early.serverId);
    if (!idleV1) throw new Error('no empty v1 server');

    const started = must(await api.startRollout({ fleet: FLEET, build: V2, strategy: 'dynamic-pool', servers: 2, oldIdleSeconds: 2 }), 'start the pool release');
    const pooled = await waitForPhase(api, started.id, 'Progressing');
    expect(pooled.switchedAt).not.toBeNull();

    // New players fill the two v2 servers first...
    const fresh: Player[] = [];
    for (let i = 1; i <= 4; i++) fresh.push(await h.join(FLEET, `new-${i}`));
    expect(fresh.map((p) => p.build)).toEqual([V2, V2, V2, V2]);
    for (const p of fresh) expect(p.welcomed?.version).toBe('2.0.0');
    // ...and only when the newest build has no room does a player go to the old one.
    const overflow = await h.join(FLEET, 'overflow-1');
    expect(overflow.build).toBe(V1);
    expect(overflow.serverId).toBe(early.serverId);

    // The empty v1 server stops after its idle time while the busy one keeps its players.
    await waitFor(async () => (await api.servers(FLEET, { all: true })).find((s) => s.id === idleV1.id)?.state === 'Stopped', {
      what: `the idle v1 server ${idleV1.id} to stop`, timeoutMs: 20_000,
    });
    expect((await api.servers(FLEET)).find((s) => s.id === early.serverId)?.state).toBe('Active');
    for (const p of [early, overflow]) await p.receivesTicks(1);

    // Once its players leave, the last v1 server goes too, and the pool release completes.
    for (const p of [early, overflow]) expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });
    const stoppedV1 = await waitForBuildStopped(api, V1);
    const done = await waitForPhase(api, started.id, 'Completed');
    expect(done.completedAt).not.toBeNull();
    expect(must(await api.fleet(FLEET), 'get fleet').currentBuild).toBe(V2);

    const [events, sessions] = [await api.events(FLEET), await api.sessions(FLEET)];
    expect(expectStoppedOnlyWhenEmpty(stoppedV1, sessions, events)).toBe(2);
    expectNoInterruptedSessions(events, sessions);
    for (const p of fresh) {
      await p.receivesTicks(1);
      expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });
    }
    expect(await h.orphans()).toEqual([]);
  }, 120_000);
});
