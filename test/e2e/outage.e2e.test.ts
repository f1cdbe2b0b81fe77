/**
 * Acceptance: players may leave while the control plane is down. The game server cannot report
 * it then; once the control plane is back, the session must still end, or the old server would
 * host a ghost forever and the release could never complete. The SDK keeps delivering session
 * ends (with their session id, so a repeat is harmless) through the outage.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventually, must, useHarness, waitFor } from './harness.js';
import { FLEET, V1, V2, applyArenaFleet, expectNoInterruptedSessions, releaseUntilSwitched, waitForPhase } from './support/release.js';

const harness = useHarness('outage.e2e');

describe('a player who leaves while the control plane is down', () => {
  it('has the session closed after the restart, so the release still completes', async () => {
    const h = harness();
    const { api } = h;
    await applyArenaFleet(api, { sessionsPerServer: 4, minServers: 2, bufferServers: 1 });
    const [leaver, stayer] = [await h.join(FLEET, 'leaver'), await h.join(FLEET, 'stayer')];
    expect([leaver.build, stayer.build]).toEqual([V1, V1]);
    const rollout = await releaseUntilSwitched(api, { oldIdleSeconds: 1 });
    const host = (await api.servers(FLEET)).find((s) => s.id === leaver.serverId);
    if (!host?.logPath) throw new Error(`no log path for ${leaver.serverId}`);

    await h.cp.kill9();
    expect(await leaver.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    // The arena reports the end through the SDK. Stay down longer than the SDK's ordinary retry
    // window (5 s): only its delivery window for session ends may bridge the outage.
    const logPath = host.logPath;
    await waitFor(() => readFileSync(logPath, 'utf8').includes(`player left player=${leaver.id}`), {
      what: `${leaver.serverId} to log that ${leaver.id} left`,
      timeoutMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 7_000));
    expect(readFileSync(logPath, 'utf8')).not.toContain(`sessionEnded failed player=${leaver.id}`);
    await h.cp.restart();

    // What the control plane believes about the leaver's session, shown in full if it never closes.
    await eventually(
      async () => expect(must(await api.session(leaver.sessionId), `get ${leaver.id}'s session`)).toMatchObject({ state: 'Closed' }),
      { what: `${leaver.id}'s session on ${leaver.serverId} to be closed after the restart`, timeoutMs: 20_000 },
    );
    const closed = must(await api.session(leaver.sessionId), `get ${leaver.id}'s session`);
    expect(['ended', 'disconnected']).toContain(closed.closeReason);

    expect(await stayer.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    await waitForPhase(api, rollout.id, 'Completed');
    expect(must(await api.fleet(FLEET), 'get fleet').currentBuild).toBe(V2);
    expectNoInterruptedSessions(await api.events(FLEET), await api.sessions(FLEET));
    expect(await h.orphans()).toEqual([]);
  }, 120_000);
});
