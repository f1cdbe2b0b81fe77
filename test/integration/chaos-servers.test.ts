/**
 * `handoff chaos run`, the real bin, against a real control plane on SQLite with real game-server
 * processes: killing and hanging game servers (real signals), each once with a hypothesis that
 * holds and once with a fault big enough to break it — then the experiment aborts itself long
 * before its planned duration, lifts the fault and says which check broke.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processState, runChaos } from '../support/chaos.js';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type Json, type TestPlane } from '../support/control-plane.js';

const SERVERS = 3;
const SLOW_START_MS = 6_000;
const timing = { baseline: '1s', duration: '4s', after: '1s' };
// Generous timeouts and no latency limit: these tests are about losing servers, and the machine
// running them may be loaded (an allocation taking seconds there is the machine, not the fault;
// the latency check is exercised by the database-latency experiments).
const load = (fleet: string) => ({ fleet, rate: 40, timeout: '10s' });

async function readyServers(t: TestPlane, fleet: string): Promise<Json[]> {
  let items: Json[] = [];
  return waitFor(async () => {
    items = (await t.call('GET', `/v1/servers?fleet=${fleet}`)).body.items as Json[];
    const ready = items.filter((s) => s.state === 'Ready' || s.state === 'Active');
    return ready.length === SERVERS ? ready : null;
  }, `${SERVERS} Ready servers in ${fleet}`, 40_000).catch((e: unknown) => {
    throw new Error(`${String(e)}: ${JSON.stringify(items.map((s) => [s.id, s.state, s.pid, s.sessions]))}`);
  });
}

async function chaosEvents(t: TestPlane, name: string): Promise<string[]> {
  const items = (await t.call('GET', '/v1/events?limit=1000')).body.items as Json[];
  return items.filter((e) => e.kind.startsWith('chaos.') && e.subject === name).map((e) => e.kind);
}

describe('handoff chaos run: game-server faults', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 44_840 });
    const fleet = (name: string, build: string, healthS: number) => ({ ...fleetSpec(name, build, { minServers: SERVERS, maxServers: SERVERS, bufferServers: 0 }), health: { timeoutSeconds: healthS, startTimeoutSeconds: 30, stopGraceSeconds: 1 } });
    // The hang fleet's servers take SLOW_START_MS to report Ready (a map to load), so a hung
    // server's replacement cannot take players for that long: see the hang-all case.
    const builds = [fixtureBuild('chaos-v1', [], 500), fixtureBuild('chaos-slow', [`--ready-after=${SLOW_START_MS}`], 500)];
    await t.call('POST', '/v1/apply', { builds, fleets: [fleet('kill', 'chaos-v1', 15), fleet('hang', 'chaos-slow', 2)] });
    await readyServers(t, 'kill');
    await readyServers(t, 'hang');
  }, 90_000);
  afterAll(() => t.close());

  it('holds when one game server in three is killed: the fleet replaces it and allocations keep succeeding', async () => {
    const before = await readyServers(t, 'kill');
    const r = await runChaos([t.cp.url], {
      name: 'kill-one', ...timing, load: load('kill'),
      hypothesis: { minAllocationSuccess: 0.99 },
      fault: { type: 'kill-servers', fleet: 'kill', count: 1 },
    });
    expect(r.report.verdict, JSON.stringify(r.report)).toEqual({ verdict: 'held' });
    expect(r.code).toBe(0);
    expect(r.report).toMatchObject({ restored: true, blastRadius: [expect.stringMatching(/^game server \S+ \(pid \d+/)] });
    expect(r.report.during?.answered).toBeGreaterThan(100);
    // Exactly one of the servers that were running is gone, by a real SIGKILL, and the fleet is whole again.
    const killed = (await t.call('GET', '/v1/servers?fleet=kill&all=true')).body.items.filter((s: Json) => before.some((b) => b.id === s.id) && s.state === 'Crashed');
    expect(killed).toHaveLength(1);
    expect(killed[0].exitSignal).toBe('SIGKILL');
    await readyServers(t, 'kill');
    expect(await chaosEvents(t, 'kill-one')).toEqual(['chaos.started', 'chaos.injected', 'chaos.restored', 'chaos.finished']);
  }, 60_000);

  it('breaks when every game server is killed, aborts itself long before its duration and reports what broke', async () => {
    await readyServers(t, 'kill');
    const r = await runChaos([t.cp.url], {
      name: 'kill-all', ...timing, load: load('kill'),
      hypothesis: { minAllocationSuccess: 0.99, maxSessionsInterrupted: 0 },
      fault: { type: 'kill-servers', fleet: 'kill', percent: 100 },
    });
    expect(r.code).toBe(1);
    expect(r.report.verdict).toMatchObject({ verdict: 'broken', phase: 'observe' });
    const broke = r.report.verdict.verdict === 'broken' ? r.report.verdict.breaches.map((b) => b.check) : [];
    // Whichever check the machine saw break first (no capacity, or the sessions placed during the
    // baseline cut off with their servers): both are real, and the cut-off sessions are counted.
    expect(broke.length).toBeGreaterThan(0);
    expect(broke.every((c) => c === 'allocationSuccess' || c === 'sessionsInterrupted')).toBe(true);
    expect((r.report.during?.sessionsInterrupted ?? 0) + (r.report.after?.sessionsInterrupted ?? 0)).toBeGreaterThan(0);
    expect(r.report.blastRadius).toHaveLength(SERVERS);
    const { injectedAt, restoreAt } = r.report.timeline;
    expect((restoreAt ?? Infinity) - (injectedAt ?? 0)).toBeLessThan(4000);
    expect(r.report.restored).toBe(true);
    expect(await chaosEvents(t, 'kill-all')).toEqual(['chaos.started', 'chaos.injected', 'chaos.aborted', 'chaos.restored', 'chaos.finished']);
  }, 60_000);

  it('holds while one hung game server (SIGSTOP) stays within its health deadline, and resumes it (SIGCONT)', async () => {
    const r = await runChaos([t.cp.url], {
      name: 'hang-one', baseline: '1s', duration: '1s', after: '1s', load: load('hang'),
      hypothesis: { minAllocationSuccess: 0.99, maxSessionsInterrupted: 0 },
      fault: { type: 'hang-servers', fleet: 'hang', count: 1 },
    });
    expect(r.report.verdict, JSON.stringify(r.report)).toEqual({ verdict: 'held' });
    const pid = Number(/pid (\d+)/.exec(r.report.blastRadius[0] ?? '')?.[1]);
    expect(processState(pid)).not.toBe('T');
    expect(processState(pid)).not.toBeNull();
  }, 60_000);

  // A hung server is marked Unhealthy once its health deadline passes (2 s here; the fixture pings
  // every second) and the fleet starts a replacement at once. Whether allocations ever find no
  // capacity is a race between the hung servers' deadlines — staggered by up to one ping period,
  // since each went silent at its own last ping — and how fast a replacement becomes Ready: with
  // servers Ready in half a second (the chaos-v1 build), the first replacement is often taking
  // players before the last hung server is marked, and the fleet heals without a failed
  // allocation (why this case once failed about half the runs). The hang fleet's servers take
  // SLOW_START_MS to be Ready, so after the last deadline there is truly no capacity left.
  it('breaks when every game server hangs past its health deadline and no replacement is Ready yet (no capacity), aborts and resumes them all', async () => {
    const servers = await readyServers(t, 'hang');
    const r = await runChaos([t.cp.url], {
      name: 'hang-all', baseline: '1s', duration: '8s', after: '1s', load: load('hang'),
      hypothesis: { minAllocationSuccess: 0.99 },
      fault: { type: 'hang-servers', fleet: 'hang', percent: 100 },
    });
    expect(r.report.verdict, JSON.stringify({ during: r.report.during, blast: r.report.blastRadius })).toMatchObject({ verdict: 'broken', phase: 'observe', breaches: [{ check: 'allocationSuccess' }] });
    expect(r.report.during?.errors).toHaveProperty('NO_CAPACITY');
    const { injectedAt, restoreAt } = r.report.timeline;
    expect((restoreAt ?? Infinity) - (injectedAt ?? 0)).toBeLessThan(8000);
    expect(r.report.restored).toBe(true);
    // Every hung server was marked Unhealthy: the control plane kept time, so its stall detector excused none.
    const unhealthy = ((await t.call('GET', '/v1/events?limit=1000')).body.items as Json[]).filter((e) => e.kind === 'server.unhealthy').map((e) => e.subject);
    for (const s of servers) expect(unhealthy).toContain(s.id);
    for (const s of servers) expect(processState(s.pid)).not.toBe('T');
    // Resumed, they report health again (the fleet may have started replacements meanwhile: the
    // resumed ones keep the sessions they hold and drain out later).
    for (const s of servers) {
      await waitFor(async () => ['Ready', 'Active', 'Draining', 'Stopped'].includes((await t.call('GET', `/v1/servers/${s.id}`)).body.state), `${s.id} healthy again`);
    }
  }, 60_000);
});
