/**
 * Acceptance: the control plane dies with SIGKILL in the middle of a release. Game servers and
 * their players carry on; the restarted control plane re-adopts the same processes, loses no
 * session, finishes the release and leaves no orphaned process behind.
 */
import { describe, expect, it } from 'vitest';
import { must, serverIdOf, useHarness, waitFor, type ServerView } from './harness.js';
import {
  FLEET, V1, V2, applyArenaFleet, expectNoInterruptedSessions, expectStoppedOnlyWhenEmpty, releaseUntilSwitched, waitForBuildStopped, waitForPhase,
} from './support/release.js';

const harness = useHarness('crash-restart.e2e');

const SETTLED = new Set(['Ready', 'Active']);

describe('a control-plane crash during a release', () => {
  it('keeps every player connected and every session open, and the release still completes', async () => {
    const h = harness();
    const { api } = h;
    await applyArenaFleet(api, { sessionsPerServer: 4, minServers: 2, bufferServers: 1 });
    const players = [];
    for (let i = 1; i <= 6; i++) players.push(await h.join(FLEET, `player-${i}`));
    const v1Hosts = new Set(players.map((p) => p.serverId));
    expect(v1Hosts.size).toBe(2);
    const rollout = await releaseUntilSwitched(api, { oldIdleSeconds: 1 });
    // A seat reserved before the crash, taken only after the restart.
    const reserved = must(await api.allocate(FLEET, 'reserved'), 'allocate a seat before the crash');
    expect(reserved.server.build).toBe(V2);

    // Wait for a quiet fleet (nothing starting or stopping; the empty v1 server retired) so the
    // snapshot taken before the crash is what a correct restart must find again.
    const before = await waitFor(
      async () => {
        const servers = await api.servers(FLEET);
        const v1 = servers.filter((s) => s.build === V1).map((s) => s.id).sort();
        return servers.every((s) => SETTLED.has(s.state)) && sameSet(v1, [...v1Hosts]) ? servers : null;
      },
      { what: 'the fleet to settle: only the two busy v1 servers left, nothing starting or stopping', timeoutMs: 30_000 },
    );
    const openBefore = (await api.sessions(FLEET, { open: true })).map((s) => s.id).sort();
    expect(openBefore).toEqual([...players.map((p) => p.sessionId), reserved.sessionId].sort());
    const lastSeqBefore = (await api.events(FLEET)).at(-1)?.seq ?? 0;

    await h.cp.kill9();

    // With no control plane at all, the game servers run on and the players keep playing.
    for (const p of players) await p.receivesTicks(2);
    for (const s of before) expect(serverIdOf(s.pid ?? -1), `pid ${s.pid} still runs ${s.id}`).toBe(s.id);

    await h.cp.restart();
    // Adoption stamps every server healthy at start-up; only a ping after this instant is news.
    const listeningAt = Date.now();

    // The same processes are adopted: same ids, same pids, no duplicates, same count per build.
    const after = await api.servers(FLEET);
    expect(summary(after)).toEqual(summary(before));
    expect(countByBuild(after)).toEqual(countByBuild(before));
    expect((await api.sessions(FLEET, { open: true })).map((s) => s.id).sort()).toEqual(openBefore);
    // Every adopted server reaches the new control plane (health after the restart) ...
    await waitFor(
      async () => (await api.servers(FLEET)).every((s) => s.lastHealthAt !== null && s.lastHealthAt > listeningAt),
      { what: 'a health report from every adopted server after the restart', timeoutMs: 30_000 },
    );
    // ... and none was replaced meanwhile: no spawn since the crash, nothing unknown in /proc.
    const sinceCrash = (await api.events(FLEET)).filter((e) => e.seq > lastSeqBefore);
    expect(sinceCrash.filter((e) => e.kind === 'server.started' || e.kind === 'server.crashed' || e.kind === 'server.stopping')).toEqual([]);
    expect(summary(await api.servers(FLEET))).toEqual(summary(before));
    expect(h.gameProcesses().map((p) => p.pid).sort()).toEqual(before.map((s) => s.pid).sort());
    expect(await h.orphans()).toEqual([]);
    expect(must(await api.rollout(rollout.id), 'get rollout').phase).toBe('Draining');

    // The restarted control plane honours the join token it issued before the crash, and still
    // routes new players to v2.
    const late = await h.connect(reserved);
    expect(late.welcomed).toMatchObject({ sessionId: reserved.sessionId, serverId: reserved.server.id, version: '2.0.0' });
    expect((await h.join(FLEET, 'after-restart')).build).toBe(V2);

    // The players were never cut off; they leave normally and the release completes.
    for (const p of players) {
      expect(p.connected, `${p.id} connected across the restart`).toBe(true);
      await p.receivesTicks(1);
      expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });
    }
    const stoppedV1 = await waitForBuildStopped(api, V1);
    expect(stoppedV1.map((s) => s.state)).toEqual(stoppedV1.map(() => 'Stopped'));
    await waitForPhase(api, rollout.id, 'Completed');
    expect(must(await api.fleet(FLEET), 'get fleet').currentBuild).toBe(V2);

    const [events, sessions] = [await api.events(FLEET), await api.sessions(FLEET)];
    expect(expectStoppedOnlyWhenEmpty(stoppedV1, sessions, events)).toBe(players.length);
    expectNoInterruptedSessions(events, sessions);
    // No orphan: every live game-server process of this data dir is a non-terminal server.
    await waitFor(async () => (await h.orphans()).length === 0, { what: 'no orphaned game-server process', timeoutMs: 15_000 });
  }, 120_000);
});

function summary(servers: readonly ServerView[]): string[] {
  return servers.map((s) => `${s.id} ${s.build} pid=${s.pid}`).sort();
}

function countByBuild(servers: readonly ServerView[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of servers) out[s.build] = (out[s.build] ?? 0) + 1;
  return out;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}
