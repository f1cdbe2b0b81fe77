/**
 * Acceptance: a blue-green release against a real control plane, real arena servers and real
 * WebSocket players never disconnects a player.
 */
import { describe, expect, it } from 'vitest';
import { must, useHarness, type Player } from './harness.js';
import {
  FLEET, V1, V2, applyArenaFleet, expectNoInterruptedSessions, expectStoppedOnlyWhenEmpty, releaseUntilSwitched, waitForBuildStopped, waitForPhase,
} from './support/release.js';

const harness = useHarness('blue-green.e2e');

describe('a blue-green release', () => {
  it('never disconnects a player', async () => {
    const { api, join } = bind(harness());
    await applyArenaFleet(api, { sessionsPerServer: 4, minServers: 2, bufferServers: 1 });

    // Six players pack onto two v1 servers (four per server), so both hold sessions.
    const early: Player[] = [];
    for (let i = 1; i <= 6; i++) early.push(await join(`early-${i}`));
    expect(early.map((p) => p.build)).toEqual(Array(6).fill(V1));
    const v1Hosts = new Set(early.map((p) => p.serverId));
    expect(v1Hosts.size).toBe(2);

    const rollout = await releaseUntilSwitched(api, { oldIdleSeconds: 1 });
    expect(rollout.switchedAt).not.toBeNull();

    // Every allocation after the switch lands on v2.
    const late: Player[] = [];
    for (let i = 1; i <= 3; i++) late.push(await join(`late-${i}`));
    expect(late.map((p) => p.build)).toEqual([V2, V2, V2]);
    for (const p of late) expect(p.welcomed?.version).toBe('2.0.0');

    // Every session open before the switch is still open on its v1 server, and still playing.
    for (const p of early) {
      const session = must(await api.session(p.sessionId), `get session of ${p.id}`);
      expect(session, `${p.id}'s session`).toMatchObject({ state: 'Connected', server: p.serverId, build: V1, closedAt: null });
      expect(p.welcomed, `${p.id}'s welcome`).toMatchObject({ serverId: p.serverId, sessionId: p.sessionId, version: '1.0.0' });
      expect(p.connected, `${p.id} still connected`).toBe(true);
      await p.receivesTicks(2);
    }
    const during = await api.servers(FLEET);
    for (const id of v1Hosts) expect(during.find((s) => s.id === id)?.state, `v1 server ${id} while it hosts players`).toBe('Active');

    // The old players leave normally; only then do the v1 servers go and the release complete.
    for (const p of early) expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });
    const stoppedV1 = await waitForBuildStopped(api, V1);
    expect(stoppedV1.map((s) => s.state)).toEqual(stoppedV1.map(() => 'Stopped'));
    for (const id of v1Hosts) expect(stoppedV1.map((s) => s.id)).toContain(id);
    const done = await waitForPhase(api, rollout.id, 'Completed');
    expect(done.completedAt).not.toBeNull();
    expect(must(await api.fleet(FLEET), 'get fleet').currentBuild).toBe(V2);

    // The event log agrees: no v1 server was asked to stop while it hosted a session.
    const [events, sessions] = [await api.events(FLEET), await api.sessions(FLEET)];
    expect(expectStoppedOnlyWhenEmpty(stoppedV1, sessions, events)).toBe(early.length);
    expectNoInterruptedSessions(events, sessions);

    // The v2 players were never disturbed either.
    for (const p of late) {
      await p.receivesTicks(1);
      expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });
    }
    expect(await harness().orphans()).toEqual([]);
  }, 120_000);
});

/** The harness calls the tests use, bound to the fleet under test. */
function bind(h: ReturnType<typeof harness>) {
  return { api: h.api, join: (playerId: string) => h.join(FLEET, playerId) };
}
