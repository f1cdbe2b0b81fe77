/**
 * Acceptance: a rolling release on a fleet with no spare capacity (minServers = maxServers,
 * no buffer) against a real control plane, real arena servers and real WebSocket players: each
 * old server leaves rotation, empties as its players leave, and only then is replaced, so the
 * fleet never runs more servers than its max, and no player is ever disconnected.
 */
import { describe, expect, it } from 'vitest';
import { must, useHarness, waitFor, type Api, type Player, type RolloutView } from './harness.js';
import { applyFullFleet, peakServers, waitForServer } from './support/full-fleet.js';
import { FLEET, V1, V2, expectNoInterruptedSessions, expectStoppedOnlyWhenEmpty, waitForBuildStopped, waitForPhase } from './support/release.js';

const harness = useHarness('rolling.e2e');
const MAX = 2;

describe('a rolling release on a fleet with zero spare capacity', () => {
  it('replaces every server batch by batch, never above maxServers, without disconnecting a player', async () => {
    const h = harness();
    const { api } = h;
    await applyFullFleet(api, MAX);

    // Four players fill one v1 server, a fifth plays alone on the other.
    const early: Player[] = [];
    for (let i = 1; i <= 5; i++) early.push(await h.join(FLEET, `early-${i}`));
    const [busy, lone] = [early[0]?.serverId, early[4]?.serverId];
    expect(early.slice(0, 4).every((p) => p.serverId === busy) && lone !== busy).toBe(true);

    const started = must(
      await api.startRollout({
        fleet: FLEET, build: V2, strategy: 'rolling', maxSurge: 0, maxUnavailable: 1, batchReadyTimeoutSeconds: 60,
        smoke: { kind: 'http', port: 'game', path: '/healthz' },
      }),
      'start the rolling release',
    );
    expect(started).toMatchObject({ phase: 'Progressing', targetServers: MAX, progressState: { batch: 1, batches: 2 } });

    // Batch 1: the emptier server leaves rotation; its player keeps playing on it.
    const out1 = await waitForServer(api, lone, (s) => s.state === 'Draining');
    expect(out1.drainReason).toBe('release');
    await early[4]?.receivesTicks(2);
    expect((await api.servers(FLEET)).filter((s) => s.build === V2)).toEqual([]);
    // Zero surge: with one server out of rotation and the other full, a new player is told to
    // retry shortly rather than the fleet growing past its max.
    const refused = await api.allocate(FLEET, 'mid-1');
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'NO_CAPACITY', retryable: true } } });

    // Once that player leaves, the server stops and a v2 server takes its place.
    expect(await early[4]?.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    const batch2 = await waitForRollout(api, started.id, (r) => r.progressState.batch === 2 && r.phase === 'Progressing');
    expect(batch2.switchedAt).not.toBeNull();
    expect(batch2.smoke).toMatchObject({ state: 'passed' });

    // Batch 2: the other v1 server leaves rotation with its four players on it; new players go to v2.
    await waitForServer(api, busy, (s) => s.state === 'Draining');
    const late = [await h.join(FLEET, 'late-1'), await h.join(FLEET, 'late-2')];
    expect(late.map((p) => p.build)).toEqual([V2, V2]);
    for (const p of late) expect(p.welcomed?.version).toBe('2.0.0');
    const stillOnV1 = early.slice(0, 4);
    for (const p of stillOnV1) {
      expect(must(await api.session(p.sessionId), `session of ${p.id}`)).toMatchObject({ state: 'Connected', server: busy, closedAt: null });
      await p.receivesTicks(1);
    }
    for (const p of stillOnV1) expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });

    const done = await waitForPhase(api, started.id, 'Completed');
    expect(done.progressState).toMatchObject({ batch: 2, batches: 2, replaced: MAX });
    expect(must(await api.fleet(FLEET), 'get fleet')).toMatchObject({ currentBuild: V2, routing: { entries: [{ build: V2, weight: 100 }] } });

    // Never more than maxServers at once, counting every server from its record to its exit.
    const all = await api.servers(FLEET, { all: true });
    expect(all.filter((s) => s.build === V2)).toHaveLength(MAX);
    expect(peakServers(all)).toBeLessThanOrEqual(MAX);

    // No v1 server was asked to stop while it hosted a session; nobody was cut off.
    const stoppedV1 = await waitForBuildStopped(api, V1);
    const [events, sessions] = [await api.events(FLEET), await api.sessions(FLEET)];
    expect(expectStoppedOnlyWhenEmpty(stoppedV1, sessions, events)).toBe(early.length);
    expectNoInterruptedSessions(events, sessions);
    expect(sessions.filter((s) => s.closeReason === 'migrated')).toEqual([]);

    for (const p of late) {
      await p.receivesTicks(1);
      expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });
    }
    expect(await h.orphans()).toEqual([]);
  }, 120_000);
});

async function waitForRollout(api: Api, id: string, cond: (r: RolloutView) => boolean): Promise<RolloutView> {
  return waitFor(async () => {
    const r = must(await api.rollout(id), `get rollout ${id}`);
    if (['Failed', 'Aborted', 'Paused'].includes(r.phase)) throw new Error(`rollout ${id} is ${r.phase}: ${r.message}`);
    return cond(r) ? r : null;
  }, { what: `rollout ${id} to progress`, timeoutMs: 45_000 });
}
