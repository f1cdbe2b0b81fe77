/**
 * Acceptance: a canary run in place (`servers: 'in-place'`) on a fleet with no spare capacity,
 * against a real control plane, real arena servers and real WebSocket players: one old server
 * leaves rotation with its player still on it, is stopped only once that player left, a canary
 * server starts in its place, the steps run, and the fleet never runs more servers than its
 * max; nobody is disconnected.
 */
import { describe, expect, it } from 'vitest';
import { must, useHarness, type Player, type RolloutView } from './harness.js';
import { applyFullFleet, peakServers, waitForServer } from './support/full-fleet.js';
import { FLEET, V1, V2, expectNoInterruptedSessions, expectStoppedOnlyWhenEmpty, waitForBuildStopped, waitForPhase } from './support/release.js';

const harness = useHarness('canary-in-place.e2e');
const MAX = 2;

describe('a canary replacing an old server in place', () => {
  it('replaces the emptiest old server once its player leaves, steps to 100 %, never runs above maxServers, and disconnects no one', async () => {
    const h = harness();
    const { api } = h;
    await applyFullFleet(api, MAX);

    // Four players fill one v1 server, a fifth plays alone on the other.
    const early: Player[] = [];
    for (let i = 1; i <= 5; i++) early.push(await h.join(FLEET, `early-${i}`));
    const [busy, lone] = [early[0]?.serverId, early[4]?.serverId];
    expect(early.slice(0, 4).every((p) => p.serverId === busy) && lone !== busy).toBe(true);
    const lonePlayer = early[4];

    const started = must(await api.startRollout({
      fleet: FLEET, build: V2, strategy: 'canary', servers: 'in-place', inPlaceServers: 1, oldIdleSeconds: 1,
      steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
    }), 'start the in-place canary');
    expect(started).toMatchObject({ phase: 'Provisioning', targetServers: 1 });

    // The emptiest old server leaves rotation; its player keeps playing; no canary server yet (the fleet is full).
    const out = await waitForServer(api, lone, (s) => s.state === 'Draining');
    expect(out.drainReason).toBe('canary in-place');
    await lonePlayer?.receivesTicks(2);
    expect((await api.servers(FLEET)).filter((s) => s.build === V2)).toEqual([]);
    expect(must(await api.rollout(started.id), 'get rollout').phase).toBe('Provisioning');

    // Once that player leaves, the server stops and the canary server takes its place.
    expect(await lonePlayer?.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    const paused = await waitForPhase(api, started.id, 'Paused');
    expect(paused.message).toBe('step 2/3: paused at 50% until promote');
    const canaryServers = (await api.servers(FLEET)).filter((s) => s.build === V2);
    expect(canaryServers).toHaveLength(1);

    const promoted = must(await api.request<RolloutView>('POST', `/v1/rollouts/${started.id}/promote`), 'promote');
    expect(promoted.promotedAt).not.toBeNull();
    await waitForPhase(api, started.id, 'Draining');
    const late = await h.join(FLEET, 'late-1');
    expect([late.build, late.welcomed?.version]).toEqual([V2, '2.0.0']);

    // The players who stayed on the other old server still play there, then leave.
    const stayed = early.filter((p) => p !== lonePlayer);
    for (const p of stayed) {
      expect(p.connected, `${p.id} still connected`).toBe(true);
      await p.receivesTicks(1);
    }
    for (const p of stayed) expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });

    const done = await waitForPhase(api, started.id, 'Completed');
    expect(done.message).toMatch(/arena-v2/);
    expect(must(await api.fleet(FLEET), 'get fleet')).toMatchObject({ currentBuild: V2 });
    const all = await api.servers(FLEET, { all: true });
    expect(peakServers(all)).toBeLessThanOrEqual(MAX);

    const stoppedV1 = await waitForBuildStopped(api, V1);
    const [events, sessions] = [await api.events(FLEET), await api.sessions(FLEET)];
    expect(expectStoppedOnlyWhenEmpty(stoppedV1, sessions, events)).toBe(early.length);
    expectNoInterruptedSessions(events, sessions);
    expect(sessions.filter((s) => s.closeReason === 'migrated')).toEqual([]);

    await late.receivesTicks(1);
    expect(await late.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    expect(await h.orphans()).toEqual([]);
  }, 120_000);
});
