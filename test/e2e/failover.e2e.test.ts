/**
 * Acceptance (issue 9): three control-plane replicas on a real PostgreSQL, a real arena fleet,
 * matchmakers allocating through `handoff/client`, and a blue-green release in progress while the
 * leader is killed with SIGKILL twice — once while the new build starts, once after the switch
 * while the old servers drain. A supervisor restarts the killed replicas. The release completes;
 * no session is lost or cut off; no slot is booked twice; the matchmakers' own count of
 * allocations succeeds at least 99.9 % of the time; each failover's time is printed and written
 * to $HANDOFF_FAILOVER_REPORT (default: handoff-failover.json in the temp dir) for the bench.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HandoffClient, type Allocation } from '../../src/client/index.js';
import { describePg, dropDatabase, freshDatabase } from '../support/postgres.js';
import { Api, type SessionView } from './support/api.js';
import { Player } from './support/player.js';
import { FLEET, V1, V2, arenaBuild, expectNoInterruptedSessions } from './support/release.js';
import { ReplicaSet, type Json } from './support/replicas.js';
import { waitFor } from './support/wait.js';

const SESSIONS_PER_SERVER = 4;

/** A matchmaker: allocates with retries, seats the player, lets them play a moment, and has them leave. */
class Matchmakers {
  attempts = 0;
  successes = 0;
  readonly failures: string[] = [];
  readonly played: { playerId: string; sessionId: string; close: string }[] = [];
  readonly allocations = new Map<string, Allocation>();
  private running = true;
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly client: HandoffClient) {}

  start(concurrency: number): void {
    for (let w = 0; w < concurrency; w++) this.loops.push(this.loop(w));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(worker: number): Promise<void> {
    for (let i = 0; this.running; i++) {
      const playerId = `mm-${worker}-${i}`;
      const key = `key-${playerId}`;
      this.attempts++;
      let allocation: Allocation;
      try {
        allocation = await this.client.allocate({ fleet: FLEET, playerId }, { idempotencyKey: key });
        this.successes++;
        this.allocations.set(key, allocation);
      } catch (e) {
        this.failures.push(`${playerId}: ${e instanceof Error ? `${e.name} ${(e as { code?: string }).code ?? ''} ${e.message}` : String(e)}`);
        continue;
      }
      // Seat the player; a join refused during a take-over is retried with the same key (the
      // same reserved session), as a game client would.
      let player: Player | null = null;
      for (let tries = 0; player === null && tries < 5; tries++) {
        player = await Player.connect(allocation).catch(() => null);
        if (player === null) {
          await new Promise((r) => setTimeout(r, 1_000));
          allocation = await this.client.allocate({ fleet: FLEET, playerId }, { idempotencyKey: key }).catch(() => allocation);
        }
      }
      if (player === null) {
        this.failures.push(`${playerId}: could not be seated on ${allocation.server.id}`);
        continue;
      }
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1_000));
      const closed = await player.leave(30_000).catch((e: unknown) => ({ code: -1, reason: String(e), byServer: true }));
      this.played.push({ playerId, sessionId: allocation.sessionId, close: `${closed.code} ${closed.reason}` });
    }
  }
}

/** The most sessions a server hosted at one time, from the sessions' open and close times. */
function peakPerServer(sessions: readonly SessionView[]): Map<string, number> {
  const peaks = new Map<string, number>();
  const byServer = new Map<string, SessionView[]>();
  for (const s of sessions) byServer.set(s.server, [...(byServer.get(s.server) ?? []), s]);
  for (const [server, list] of byServer) {
    // At equal times a close counts before an open: a slot freed and taken at once is one slot.
    const edges: [number, number][] = list.flatMap((s): [number, number][] => [[s.openedAt, 1], [s.closedAt ?? Infinity, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    let peak = 0;
    for (const [, d] of edges) peak = Math.max(peak, (open += d));
    peaks.set(server, peak);
  }
  return peaks;
}

/** The rollout and the fleet's last events, for a failure message. */
async function explain(cluster: ReplicaSet, rollout: Json): Promise<string> {
  const events = (await cluster.get(`/v1/events?fleet=${FLEET}&limit=1000`)).items.slice(-80).map((e: Json) => `${e.seq} ${e.kind} ${e.subject} ${e.message}`);
  return `${JSON.stringify(rollout)}\n${events.join('\n')}`;
}

describePg('a blue-green release while the leader is killed twice', () => {
  let db = '';
  let set: ReplicaSet | null = null;
  let failed = true;
  beforeAll(async () => {
    db = await freshDatabase('failover');
    // A lease of 5 s: short enough for a quick test, long enough that a leader on a loaded
    // 2-core machine renews in time (a lost renewal is a failover the test did not ask for).
    set = await ReplicaSet.start('failover.e2e', db, ['r1', 'r2', 'r3'], 5);
    set.supervise();
  }, 120_000);
  afterAll(async () => {
    if (set && failed) process.stderr.write(`\n${set.output()}\n`);
    await set?.teardown(failed);
    if (db) await dropDatabase(db);
  });

  it('completes, loses no session, double-books no slot and keeps allocations succeeding', async () => {
    const cluster = set as ReplicaSet;
    await cluster.send('POST', '/v1/apply', {
      builds: [arenaBuild(V1, '1.0.0', SESSIONS_PER_SERVER), arenaBuild(V2, '2.0.0', SESSIONS_PER_SERVER)],
      fleets: [{
        name: FLEET, build: V1,
        capacity: { minServers: 2, maxServers: 8, bufferServers: 1, idleTimeoutSeconds: 600 },
        health: { timeoutSeconds: 15, startTimeoutSeconds: 60, stopGraceSeconds: 5 },
      }],
    });
    await waitFor(async () => (await cluster.get(`/v1/servers?fleet=${FLEET}`)).items.filter((s: Json) => s.build === V1 && s.state === 'Ready').length >= 2, { what: '2 Ready v1 servers', timeoutMs: 90_000 });

    const client = new HandoffClient({ urls: [...cluster.replicas.values()].map((r) => r.url), retry: { budgetMs: 60_000, extraCodes: ['NO_CAPACITY'] } });
    // Players who stay on the old build through both failovers: the release must wait for them.
    const stayers: Player[] = [];
    for (const id of ['stayer-1', 'stayer-2', 'stayer-3']) stayers.push(await Player.connect(await client.allocate({ fleet: FLEET, playerId: id })));
    const matchmakers = new Matchmakers(client);
    matchmakers.start(4);
    const failovers: { phase: string; killed: string; leader: string; ms: number }[] = [];

    const rollout = await cluster.send('POST', '/v1/rollouts', { fleet: FLEET, build: V2, strategy: 'blue-green', autoPromote: true, smoke: null, drain: null, oldIdleSeconds: 1, readyTimeoutSeconds: 120, maxStartFailures: 3 });
    // First kill: while the new build's servers start.
    await waitFor(async () => (await cluster.get(`/v1/servers?fleet=${FLEET}`)).items.some((s: Json) => s.build === V2 && s.state === 'Starting'), { what: 'a v2 server starting', timeoutMs: 60_000, intervalMs: 50 });
    let t0 = Date.now();
    let killed = await cluster.killLeader(1_000);
    let next = await cluster.waitForNewLeader(killed, t0);
    failovers.push({ phase: 'new build starting', killed: killed.id, leader: next.id, ms: next.ms });

    // Second kill: after the switch, while the old servers drain (the stayers hold them).
    await waitFor(async () => ['Draining', 'Completed', 'Aborted', 'Failed'].includes((await cluster.get(`/v1/rollouts/${rollout.id}`)).phase), { what: 'the switch to v2', timeoutMs: 120_000 });
    const switched = await cluster.get(`/v1/rollouts/${rollout.id}`);
    if (switched.phase !== 'Draining') throw new Error(`the release did not switch: ${await explain(cluster, switched)}`);
    await stayers[0]?.receivesTicks(2);
    t0 = Date.now();
    killed = await cluster.killLeader(1_000);
    next = await cluster.waitForNewLeader(killed, t0);
    failovers.push({ phase: 'old build draining', killed: killed.id, leader: next.id, ms: next.ms });

    // The stayers played through both failovers; now they leave and the old servers drain.
    for (const p of stayers) {
      await p.receivesTicks(2);
      expect(await p.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
    }
    const done = await waitFor(async () => {
      const r = await cluster.get(`/v1/rollouts/${rollout.id}`);
      return ['Completed', 'Aborted', 'Failed'].includes(r.phase) ? r : null;
    }, { what: 'the release to complete', timeoutMs: 120_000 });
    await matchmakers.stop();
    await waitFor(async () => cluster.replicas.size === [...cluster.replicas.values()].filter((r) => r.running).length, { what: 'every replica back', timeoutMs: 30_000 });

    const report = { failovers, allocations: { attempts: matchmakers.attempts, successes: matchmakers.successes } };
    process.stdout.write(`failover times: ${failovers.map((f) => `${f.phase} ${f.ms} ms (${f.killed} → ${f.leader})`).join('; ')}; allocations ${matchmakers.successes}/${matchmakers.attempts}\n`);
    writeFileSync(process.env['HANDOFF_FAILOVER_REPORT'] ?? path.join(tmpdir(), 'handoff-failover.json'), `${JSON.stringify(report, null, 2)}\n`);

    if (done.phase !== 'Completed') throw new Error(`the release did not complete: ${await explain(cluster, done)}`);
    expect((await cluster.get(`/v1/fleets/${FLEET}`)).currentBuild).toBe(V2);
    expect(matchmakers.failures).toEqual([]);
    expect(matchmakers.attempts).toBeGreaterThanOrEqual(10);
    expect(matchmakers.successes / matchmakers.attempts).toBeGreaterThanOrEqual(0.999);

    // Read the outcome from the leader itself: follower reads may be a second behind.
    const api = new Api((await cluster.leader()).cp.url);
    const sessions = await api.sessions(FLEET);
    const events = await api.events(FLEET);
    expectNoInterruptedSessions(events, sessions);
    // No server was blamed for the control plane's own outage: none unhealthy, none crashed.
    expect((await api.servers(FLEET, { all: true })).filter((s) => s.state === 'Unhealthy' || s.state === 'Crashed').map((s) => `${s.id} ${s.state}`)).toEqual([]);
    expect(events.filter((e) => /unhealthy|crash/i.test(e.kind)).map((e) => `${e.kind} ${e.subject} ${e.message}`)).toEqual([]);
    // No session lost: every player who played left normally and their session closed as ended.
    expect(matchmakers.played.filter((p) => p.close !== '1000 bye')).toEqual([]);
    const byId = new Map(sessions.map((s) => [s.id, s]));
    for (const p of [...matchmakers.played, ...stayers.map((s) => ({ playerId: s.id, sessionId: s.sessionId }))]) {
      const s = await waitFor(async () => {
        const r = await api.session(p.sessionId);
        return r.ok && r.body.state === 'Closed' ? r.body : null;
      }, { what: `${p.playerId}'s session to close`, timeoutMs: 30_000 });
      expect([p.playerId, s.closeReason]).toEqual([p.playerId, 'ended']);
      byId.set(s.id, s);
    }
    // No slot booked twice: one session per idempotency key, and never more sessions on a server than it has slots.
    const ids = [...matchmakers.allocations.values()].map((a) => a.sessionId);
    expect(new Set(ids).size).toBe(ids.length);
    const overbooked = [...peakPerServer([...byId.values()])].filter(([, peak]) => peak > SESSIONS_PER_SERVER);
    expect(overbooked).toEqual([]);
    failed = false;
  }, 420_000);
});
