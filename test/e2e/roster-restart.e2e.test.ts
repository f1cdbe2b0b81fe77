/**
 * Acceptance: the store loses the sessions of a busy game server (as a damaged WAL would lose
 * the commits that allocated them) while the control plane is down. After the restart the
 * server's own roster, reported by the SDK client, brings the sessions back, and a release
 * retires every other old server but never that one while its players are on it.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness, waitFor } from './harness.js';
import {
  FLEET, V1, applyArenaFleet, expectNoInterruptedSessions, expectStoppedOnlyWhenEmpty, releaseUntilSwitched, waitForBuildStopped, waitForPhase,
} from './support/release.js';

const harness = useHarness('roster-restart.e2e');

describe('a restart after the store lost the sessions of a busy server', () => {
  it('recovers the sessions from the game server\'s roster and does not retire it while its players play', async () => {
    const h = harness();
    const { api } = h;
    await applyArenaFleet(api, { sessionsPerServer: 4, minServers: 2, bufferServers: 0 });
    const players = [await h.join(FLEET, 'p1'), await h.join(FLEET, 'p2')];
    const host = players[0]?.serverId ?? '';
    expect(players.map((p) => p.serverId)).toEqual([host, host]);
    const other = (await api.servers(FLEET)).find((s) => s.id !== host);
    if (!other) throw new Error('no second v1 server');

    await h.cp.stop();
    // Behind the control plane's back: the sessions on the host are gone and the host looks
    // empty and long idle, exactly what the store would say had those commits been lost.
    const db = new Database(path.join(h.dataDir, 'handoff.db'));
    try {
      expect(db.prepare('DELETE FROM sessions WHERE server = ?').run(host).changes).toBe(2);
      db.prepare("UPDATE servers SET doc = json_set(doc, '$.state', 'Ready', '$.emptySince', ?) WHERE id = ?").run(Date.now() - 3_600_000, host);
    } finally {
      db.close();
    }
    await h.cp.restart();

    // The arena's SDK reports its roster when its watch reconnects: the sessions come back under
    // the ids the players and the matchmaker already hold.
    for (const p of players) {
      const back = await waitFor(async () => {
        const res = await api.session(p.sessionId);
        return res.ok && res.body.state === 'Connected' ? res.body : null;
      }, { what: `${p.id}'s session ${p.sessionId} to be recovered from the roster`, timeoutMs: 30_000 });
      expect(back).toMatchObject({ playerId: p.id, server: host, build: V1 });
    }
    expect((await api.servers(FLEET)).find((s) => s.id === host)).toMatchObject({ state: 'Active', sessions: 2 });

    // A release retires the empty old server; the host keeps its players.
    const rollout = await releaseUntilSwitched(api, { oldIdleSeconds: 1 });
    await waitFor(async () => (await api.servers(FLEET, { all: true })).find((s) => s.id === other.id)?.state === 'Stopped', {
      what: `the empty old server ${other.id} to retire`,
      timeoutMs: 30_000,
    });
    expect((await api.servers(FLEET)).find((s) => s.id === host)?.state).toBe('Active');
    for (const p of players) await p.receivesTicks(2);

    // Once they leave (their ends match the recovered sessions), the host retires too.
    for (const p of players) expect(await p.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    const stopped = await waitForBuildStopped(api, V1);
    await waitForPhase(api, rollout.id, 'Completed');
    const [events, sessions] = [await api.events(FLEET), await api.sessions(FLEET)];
    expect(expectStoppedOnlyWhenEmpty(stopped.filter((s) => s.id === host), sessions, events)).toBe(2);
    expectNoInterruptedSessions(events, sessions);
    expect(sessions.filter((s) => s.server === host).map((s) => s.closeReason)).toEqual(['ended', 'ended']);
  }, 120_000);
});
