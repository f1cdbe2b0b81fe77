/**
 * Acceptance (issue 9): the control plane stopped for 30 s (SIGSTOP) while players play. The
 * game servers keep their players; a player who leaves meanwhile has their end buffered by the
 * SDK and delivered on return. Afterwards no session is lost (the stayers' sessions are still
 * open, on the same servers) and none is counted twice (one session per player, one close for
 * the leaver), and no server was blamed for the control plane's own silence.
 */
import { describe, expect, it } from 'vitest';
import { eventually, must, useHarness } from './harness.js';
import { FLEET, V1, applyArenaFleet } from './support/release.js';

const harness = useHarness('outage-30s.e2e');

describe('a control plane stopped for 30 s while players play', () => {
  it('loses no session and counts none twice when it returns', async () => {
    const h = harness();
    const { api, cp } = h;
    await applyArenaFleet(api, { sessionsPerServer: 4, minServers: 2, bufferServers: 0 });
    const players = [await h.join(FLEET, 'p1'), await h.join(FLEET, 'p2'), await h.join(FLEET, 'p3'), await h.join(FLEET, 'leaver')];
    const [leaver] = players.slice(-1);
    const stayers = players.slice(0, -1);
    if (!leaver || !cp.pid) throw new Error('setup');
    const serversBefore = (await api.servers(FLEET)).map((s) => s.id).sort();
    const lastSeq = (await api.events(null)).at(-1)?.seq ?? 0;

    process.kill(cp.pid, 'SIGSTOP');
    try {
      // Players keep playing: the game servers need no control plane for that.
      for (const p of stayers) await p.receivesTicks(3);
      expect(await leaver.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
      await new Promise((r) => setTimeout(r, 30_000));
      for (const p of stayers) await p.receivesTicks(2);
    } finally {
      process.kill(cp.pid, 'SIGCONT');
    }

    await eventually(async () => expect(must(await api.session(leaver.sessionId), 'leaver session')).toMatchObject({ state: 'Closed', closeReason: 'ended' }), {
      what: 'the leaver\'s buffered session end to arrive', timeoutMs: 30_000,
    });
    for (const p of stayers) await p.receivesTicks(2);
    const sessions = await api.sessions(FLEET);
    // One session per player; the stayers' still open on the servers they joined.
    for (const p of players) expect(sessions.filter((s) => s.playerId === p.id).map((s) => s.id)).toEqual([p.sessionId]);
    for (const p of stayers) expect(sessions.find((s) => s.id === p.sessionId)).toMatchObject({ state: expect.not.stringMatching(/Closed/), server: p.serverId });
    // Closed once, and nothing else happened to sessions or servers because of the silence.
    const since = (await api.events(null)).filter((e) => e.seq > lastSeq);
    expect(since.filter((e) => e.kind === 'session.closed').map((e) => e.subject)).toEqual([leaver.sessionId]);
    expect(since.filter((e) => /unhealthy|crash|replac|stopping/i.test(`${e.kind} ${e.message}`)).map((e) => `${e.kind} ${e.subject} ${e.message}`)).toEqual([]);
    const serversAfter = await api.servers(FLEET);
    expect(serversAfter.map((s) => s.id).sort()).toEqual(serversBefore);
    expect(serversAfter.filter((s) => s.state === 'Unhealthy')).toEqual([]);
    expect(stayers.every((p) => p.build === V1 && p.connected)).toBe(true);
    for (const p of stayers) expect(await p.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
  }, 180_000);
});
