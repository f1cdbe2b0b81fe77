/**
 * Acceptance: aborting a release after the switch sends new players back to the old build at
 * once, lets the new build's players finish undisturbed, then retires the new build.
 */
import { describe, expect, it } from 'vitest';
import { must, useHarness } from './harness.js';
import {
  FLEET, V1, V2, applyArenaFleet, expectNoInterruptedSessions, expectStoppedOnlyWhenEmpty, releaseUntilSwitched, waitForBuildStopped,
} from './support/release.js';

const harness = useHarness('abort.e2e');

describe('aborting a blue-green release after the switch', () => {
  it('routes the next player to the old build and lets the new build\'s players finish', async () => {
    const h = harness();
    const { api } = h;
    await applyArenaFleet(api, { sessionsPerServer: 4, minServers: 2, bufferServers: 1 });
    const early = [await h.join(FLEET, 'early-1'), await h.join(FLEET, 'early-2')];
    expect(early.map((p) => p.build)).toEqual([V1, V1]);

    const rollout = await releaseUntilSwitched(api, { oldIdleSeconds: 1 });
    const onV2 = await h.join(FLEET, 'on-v2');
    expect(onV2.build).toBe(V2);

    const aborted = await api.abort(rollout.id);
    expect(aborted.status).toBe(200);
    expect(must(aborted, 'abort').phase).toBe('Aborted');

    // The very next allocation lands on v1.
    const next = await h.join(FLEET, 'after-abort');
    expect(next.build).toBe(V1);
    expect(next.welcomed?.version).toBe('1.0.0');

    // The v2 player's session goes on: still open on its server, still ticking.
    expect(must(await api.session(onV2.sessionId), 'get v2 session')).toMatchObject({ state: 'Connected', server: onV2.serverId, closedAt: null });
    expect(onV2.connected).toBe(true);
    await onV2.receivesTicks(2);
    const v2Servers = (await api.servers(FLEET)).filter((s) => s.build === V2);
    expect(v2Servers.find((s) => s.id === onV2.serverId)?.state, 'the v2 server hosting a player').toBe('Active');

    // It leaves normally; then, empty, every v2 server is stopped on the release's idle time.
    expect(await onV2.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    const stoppedV2 = await waitForBuildStopped(api, V2);
    expect(stoppedV2.map((s) => s.state)).toEqual(stoppedV2.map(() => 'Stopped'));
    expect(stoppedV2.map((s) => s.id)).toContain(onV2.serverId);

    expect(must(await api.rollout(rollout.id), 'get rollout')).toMatchObject({ phase: 'Aborted', abortedAt: expect.any(Number), completedAt: null });
    const fleet = must(await api.fleet(FLEET), 'get fleet');
    expect(fleet.currentBuild).toBe(V1);
    expect(fleet.status.activeRollout).toBeNull();

    const [events, sessions] = [await api.events(FLEET), await api.sessions(FLEET)];
    expect(expectStoppedOnlyWhenEmpty(stoppedV2, sessions, events)).toBe(1);
    expectNoInterruptedSessions(events, sessions);

    // The v1 players played through the whole episode.
    for (const p of [...early, next]) {
      await p.receivesTicks(1);
      expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });
    }
    expect(await h.orphans()).toEqual([]);
  }, 120_000);
});
