/**
 * Acceptance: a maintenance window against a real control plane, real arena servers and real
 * WebSocket players. Its notice reaches the game (and its players) at the lead time, the fleet
 * refuses allocations during the window with FLEET_IN_MAINTENANCE, the remaining session is
 * closed at the deadline as `maintenance` (announced, never an interruption), and the fleet
 * comes back on the new build — in place: the fleet may run one server, so v2 only starts once
 * v1 has stopped.
 */
import { describe, expect, it } from 'vitest';
import { must, useHarness, waitFor } from './harness.js';
import { FLEET, V1, V2, applyArenaFleet, expectNoInterruptedSessions, expectStoppedOnlyWhenEmpty, waitForBuildStopped, waitForPhase } from './support/release.js';

const harness = useHarness('maintenance.e2e');

const LEAD_S = 3;
const DURATION_S = 10;
const DEADLINE_S = 2;

describe('a maintenance window', () => {
  it('announces itself at the lead time, refuses allocations during the window with the coded error, and resumes on the new build', async () => {
    const h = harness();
    const { api } = h;
    await applyArenaFleet(api, { sessionsPerServer: 4, minServers: 1, bufferServers: 0, maxServers: 1 });
    const stayer = await h.join(FLEET, 'stayer');
    const leaver = await h.join(FLEET, 'leaver');
    expect([stayer.build, leaver.build]).toEqual([V1, V1]);

    const startsAt = Date.now() + (LEAD_S + 1) * 1000;
    const noticeAt = startsAt - LEAD_S * 1000;
    const started = must(
      await api.startRollout({ fleet: FLEET, build: V2, strategy: 'maintenance', startsAt, durationSeconds: DURATION_S, noticeLeadSeconds: LEAD_S, sessionDeadlineSeconds: DEADLINE_S }),
      'schedule the maintenance',
    );
    expect(started.phase).toBe('Scheduled');

    // The notice goes through the SDK watch to the game server, which shows it to its players.
    const notice = await waitFor(() => stayer.heard.find((x) => x.message.type === 'notice' && x.message.kind === 'maintenance'), { what: 'the maintenance notice', timeoutMs: 15_000 });
    expect(notice.message).toMatchObject({ kind: 'maintenance', startsAt });
    expect(notice.at, 'notice not before the lead time').toBeGreaterThanOrEqual(noticeAt);
    expect(notice.at, 'notice before the window').toBeLessThan(startsAt);
    // Both players are told; their messages arrive independently, so wait for the second too.
    await waitFor(() => leaver.heard.find((x) => x.message.type === 'notice' && x.message.kind === 'maintenance'), { what: 'the notice to the other player', timeoutMs: 5_000 });

    // At the start: allocations refused with the window's end; players told the deadline.
    const window = await waitForPhase(api, started.id, 'Progressing', 20_000);
    expect(window.switchedAt).toBeGreaterThanOrEqual(startsAt);
    const refused = await fetch(`${h.cp.url}/v1/allocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fleet: FLEET, playerId: 'newcomer' }) });
    const body = (await refused.json()) as { error: { code: string; retryable: boolean; details: { until: number } } };
    expect([refused.status, body.error.code, body.error.retryable]).toEqual([503, 'FLEET_IN_MAINTENANCE', true]);
    expect(body.error.details.until).toBe(startsAt + DURATION_S * 1000);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(DURATION_S);
    const drain = await waitFor(() => stayer.heard.find((x) => x.message.type === 'notice' && x.message.kind === 'drain'), { what: 'the drain notice', timeoutMs: 10_000 });
    expect(drain.message).toMatchObject({ reason: 'maintenance', deadline: (window.switchedAt ?? 0) + DEADLINE_S * 1000 });

    // One player leaves on their own; the other is closed at the deadline, announced.
    expect(await leaver.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    const closed = await waitFor(() => stayer.closed, { what: "the stayer's socket to close at the deadline", timeoutMs: 15_000 });
    expect(closed).toMatchObject({ code: 4000, byServer: true });
    expect(stayer.heard.at(-1)?.message).toEqual({ type: 'migrate', reason: 'maintenance' });
    expect(must(await api.session(stayer.sessionId), 'stayer session')).toMatchObject({ state: 'Closed', closeReason: 'maintenance' });
    expect(must(await api.session(leaver.sessionId), 'leaver session')).toMatchObject({ closeReason: 'ended' });

    // In place: v1 stops once empty, v2 starts in its room, and allocations resume on v2.
    const stoppedV1 = await waitForBuildStopped(api, V1);
    const done = await waitForPhase(api, started.id, 'Completed', 45_000);
    expect(done.progressState).toMatchObject({ sessionsClosed: 1, startedAt: window.switchedAt });
    expect(done.progressState.downtimeMs).toBeGreaterThan(0);
    const back = await h.join(FLEET, 'newcomer');
    expect(back.build).toBe(V2);
    expect(back.welcomed?.version).toBe('2.0.0');
    expect(must(await api.fleet(FLEET), 'get fleet')).toMatchObject({ currentBuild: V2, routing: { closed: null } });

    // Planned downtime, not an interruption: no session cut by a stop, no busy server stopped.
    const [events, sessions] = [await api.events(FLEET), await api.sessions(FLEET)];
    expectNoInterruptedSessions(events, sessions);
    expect(expectStoppedOnlyWhenEmpty(stoppedV1, sessions, events)).toBe(2);
    expect(await back.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    expect(await h.orphans()).toEqual([]);
  }, 120_000);
});
