/**
 * Acceptance: an A/B test against a real control plane, real arena servers and real WebSocket
 * players. Two builds serve side by side (segments pinned by cohort, the rest by sticky
 * weights), `rollout status` reports each variant's sessions, the test never ends by itself,
 * and `handoff rollout promote --variant` ends it: the chosen build takes every new session, the
 * other empties and retires, and no player is ever disconnected.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { must, repoRoot, useHarness, type Player } from './harness.js';
import {
  FLEET, V1, V2, applyArenaFleet, expectNoInterruptedSessions, expectStoppedOnlyWhenEmpty, waitForBuildStopped, waitForPhase,
} from './support/release.js';

const harness = useHarness('ab-test.e2e');
const run = promisify(execFile);

describe('an A/B test ended by choosing a variant', () => {
  it('serves both variants side by side with figures until promote --variant, then empties the other', async () => {
    const h = harness();
    const { api } = h;
    const join = (id: string): Promise<Player> => h.join(FLEET, id);
    await applyArenaFleet(api, { sessionsPerServer: 4, minServers: 1, bufferServers: 1 });

    const started = must(await api.startRollout({
      fleet: FLEET, build: V2, strategy: 'ab-test', oldIdleSeconds: 1,
      variants: [
        { name: 'A', build: V1, weight: 50, cohort: { players: ['a-1', 'a-2'] } },
        { name: 'B', build: V2, weight: 50, cohort: { players: ['b-1', 'b-2'] } },
      ],
    }), 'start the A/B test');
    await waitForPhase(api, started.id, 'Progressing');

    const a = [await join('a-1'), await join('a-2')];
    const b = [await join('b-1'), await join('b-2')];
    expect(a.map((p) => [p.build, p.welcomed?.version])).toEqual([[V1, '1.0.0'], [V1, '1.0.0']]);
    expect(b.map((p) => [p.build, p.welcomed?.version])).toEqual([[V2, '2.0.0'], [V2, '2.0.0']]);
    expect(await a[1]?.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });

    // Figures per variant, a-2's closed session included, and the test does not end by itself.
    const report = must(await api.rollout(started.id), 'get the A/B test');
    expect(report.phase).toBe('Progressing');
    expect(report.progressState.figures).toMatchObject({
      variants: [{ name: 'A', build: V1, sessions: 2, open: 1, abnormalCloses: 0 }, { name: 'B', build: V2, sessions: 2, open: 2, abnormalCloses: 0 }],
    });
    const status = await handoff(h.cp.url, 'rollout', 'status', FLEET);
    expect(status.stdout).toMatch(/A\s+arena-v1\s+2\s+1\s/);
    expect(status.stdout).toContain(`end the test with: handoff rollout promote ${FLEET} --variant A|B`);

    const promoted = await handoff(h.cp.url, 'rollout', 'promote', FLEET, '--variant', 'B');
    expect(promoted.code, promoted.stderr).toBe(0);
    await waitForPhase(api, started.id, 'Draining');
    const late = [await join('late-1'), await join('a-2')];
    expect(late.map((p) => p.build)).toEqual([V2, V2]);

    // The A player plays on undisturbed, leaves, and only then does v1 retire.
    const stayer = a[0];
    if (!stayer) throw new Error('no A player');
    expect(stayer.connected).toBe(true);
    await stayer.receivesTicks(2);
    expect(await stayer.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    const stoppedV1 = await waitForBuildStopped(api, V1);
    const done = await waitForPhase(api, started.id, 'Completed');
    expect(done.progressState).toMatchObject({ winner: V2, winnerName: 'B' });
    expect(must(await api.fleet(FLEET), 'get fleet').currentBuild).toBe(V2);

    const [events, sessions] = [await api.events(FLEET), await api.sessions(FLEET)];
    expect(expectStoppedOnlyWhenEmpty(stoppedV1, sessions, events)).toBe(2);
    expectNoInterruptedSessions(events, sessions);
    for (const p of [...b, ...late]) {
      await p.receivesTicks(1);
      expect(await p.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    }
    expect(await h.orphans()).toEqual([]);
  }, 120_000);
});

/** The real `bin/handoff` against the control plane under test; never throws. */
async function handoff(url: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.join(repoRoot, 'bin/handoff'), ['--server', url, ...args], { cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
