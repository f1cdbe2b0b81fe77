/**
 * Acceptance: a canary with an allow-list cohort against a real control plane, real arena
 * servers and real WebSocket players. The listed testers play the new build from the first step
 * (at 0 %), keep it when they come back, everyone else stays on the old build until the canary
 * is promoted, and no player is ever disconnected.
 */
import { describe, expect, it } from 'vitest';
import { must, useHarness, type Player, type RolloutView } from './harness.js';
import {
  FLEET, V1, V2, applyArenaFleet, expectNoInterruptedSessions, expectStoppedOnlyWhenEmpty, waitForBuildStopped, waitForPhase,
} from './support/release.js';

const harness = useHarness('canary.e2e');

describe('a canary with an allow-list cohort', () => {
  it('sends the testers to the canary whatever its weight, keeps everyone else on the old build until promoted, and disconnects no one', async () => {
    const h = harness();
    const { api } = h;
    const join = (id: string): Promise<Player> => h.join(FLEET, id);
    await applyArenaFleet(api, { sessionsPerServer: 4, minServers: 2, bufferServers: 1 });
    const early = [await join('early-1'), await join('early-2')];
    expect(early.map((p) => p.build)).toEqual([V1, V1]);

    const started = must(await api.startRollout({
      fleet: FLEET, build: V2, strategy: 'canary', oldIdleSeconds: 1,
      steps: [{ setWeight: 0 }, { pause: {} }, { setWeight: 100 }],
      cohort: { players: ['tester-1', 'tester-2'] },
    }), 'start the canary');
    const paused = await waitForPhase(api, started.id, 'Paused');
    expect(paused.message).toBe('step 2/3: paused at 0% until promote');

    // The testers play v2 at 0 %; the others stay on v1.
    const testers = [await join('tester-1'), await join('tester-2')];
    expect(testers.map((p) => [p.build, p.welcomed?.version])).toEqual([[V2, '2.0.0'], [V2, '2.0.0']]);
    const others = [await join('other-1'), await join('other-2'), await join('other-3')];
    expect(others.map((p) => p.build)).toEqual([V1, V1, V1]);
    // A tester who leaves and comes back lands on the canary again.
    expect(await testers[0]?.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    const back = await join('tester-1');
    expect(back.build).toBe(V2);

    const promoted = must(await api.request<RolloutView>('POST', `/v1/rollouts/${started.id}/promote`), 'promote');
    expect(promoted.promotedAt).not.toBeNull();
    await waitForPhase(api, started.id, 'Draining');
    const late = await join('late-1');
    expect(late.build).toBe(V2);

    // Everyone who played before the promote still plays where they started.
    for (const p of [...early, ...others, testers[1], back]) {
      if (!p) continue;
      expect(p.connected, `${p.id} still connected`).toBe(true);
      await p.receivesTicks(1);
    }
    const v1Players = [...early, ...others];
    for (const p of v1Players) expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });
    const stoppedV1 = await waitForBuildStopped(api, V1);
    const done = await waitForPhase(api, started.id, 'Completed');
    expect(done.progressState.figures).toMatchObject({ variants: [{ name: 'stable', build: V1, sessions: 3 }, { name: 'canary', build: V2 }] });
    expect(must(await api.fleet(FLEET), 'get fleet').currentBuild).toBe(V2);

    const [events, sessions] = [await api.events(FLEET), await api.sessions(FLEET)];
    expect(expectStoppedOnlyWhenEmpty(stoppedV1, sessions, events)).toBe(v1Players.length);
    expectNoInterruptedSessions(events, sessions);
    for (const p of [testers[1], back, late]) if (p) expect(await p.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    expect(await h.orphans()).toEqual([]);
  }, 120_000);
});
