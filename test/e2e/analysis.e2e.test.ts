/**
 * Acceptance: release analysis with real processes. A canary whose build crashes, or ends
 * sessions in error, is judged against the old build over the same window and rolled back by
 * the verdict alone: new sessions go back to the old build, the verdict's numbers are in
 * `handoff rollout status --json`, and the old build's players never notice. A window with too
 * little data pauses the release for a person instead of passing it. A blue-green release (no
 * analysis step of its own) is failed by its background analysis the same way.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { must, repoRoot, useHarness, type Api, type Harness, type Player, type RolloutView } from './harness.js';
import { FLEET, V1, V2, arenaBuild, waitForPhase } from './support/release.js';
import { waitFor } from './support/wait.js';

const harness = useHarness('analysis.e2e');
const run = promisify(execFile);

/** Both arena builds, v2 with the given fault switches; the fleet on v1 with two Ready servers. */
async function applyFleet(api: Api, v2Faults: string[]): Promise<void> {
  const v2 = arenaBuild(V2, '2.0.0', 4);
  must(await api.apply({
    builds: [arenaBuild(V1, '1.0.0', 4), { ...v2, launch: { ...v2.launch, args: [...v2.launch.args, '--tick-ms', '100', ...v2Faults] } }],
    fleets: [{
      name: FLEET, build: V1,
      capacity: { minServers: 2, maxServers: 8, bufferServers: 1, idleTimeoutSeconds: 600 },
      health: { timeoutSeconds: 15, startTimeoutSeconds: 45, stopGraceSeconds: 5 },
    }],
  }), 'apply builds and fleet');
  await waitFor(async () => (await api.servers(FLEET)).filter((s) => s.build === V1 && s.state === 'Ready').length >= 2, { what: 'two Ready v1 servers', timeoutMs: 45_000 });
}

/** A player on whichever build the allocator picks; null when a faulty server cut them off before their first tick. */
async function tryJoin(h: Harness, id: string): Promise<Player | null> {
  try {
    return await h.join(FLEET, id);
  } catch {
    return null;
  }
}

const ANALYSIS = {
  windowSeconds: 10,
  metrics: [
    { metric: 'crash_rate', max: 0.1, minSamples: 2 },
    { metric: 'abnormal_close_rate', max: 0.1, minSamples: 2 },
  ],
};

async function rolloutStatusJson(h: Harness): Promise<RolloutView> {
  const { stdout } = await run(path.join(repoRoot, 'bin/handoff'), ['--server', h.cp.url, 'rollout', 'status', FLEET, '--json'], { cwd: repoRoot });
  return JSON.parse(stdout) as RolloutView;
}

describe('release analysis', () => {
  it.each([
    ['crashes', ['--crash-rate', '1'], 'crash_rate'],
    ['closes sessions abnormally', ['--abnormal-close-rate', '1'], 'abnormal_close_rate'],
  ])('rolls back a canary whose build %s, by its verdict alone, and leaves the old build\'s players alone', async (_what, faults, metric) => {
    const h = harness();
    const { api } = h;
    await applyFleet(api, faults);
    const baseline = [await h.join(FLEET, 'base-1'), await h.join(FLEET, 'base-2'), await h.join(FLEET, 'base-3')];
    expect(baseline.map((p) => p.build)).toEqual([V1, V1, V1]);

    const started = must(await api.startRollout({
      fleet: FLEET, build: V2, strategy: 'canary', oldIdleSeconds: 1, maxStartFailures: 20,
      steps: [{ setWeight: 50 }, { analysis: { metrics: ANALYSIS } }, { setWeight: 100 }],
    }), 'start the canary');
    await waitForPhase(api, started.id, 'Verifying');
    // Players arrive during the window; about half are routed to the faulty canary.
    const during: (Player | null)[] = [];
    for (let i = 1; i <= 10; i++) during.push(await tryJoin(h, `during-${i}`));

    const failed = await waitForPhase(api, started.id, 'Failed', 60_000);
    expect(failed.message).toMatch(new RegExp(`^step 2/3: analysis failed: fail: .*${metric}`));

    const status = await rolloutStatusJson(h);
    expect(status.phase).toBe('Failed');
    expect(status.analyses).toHaveLength(1);
    const verdict = status.analyses[0]!;
    expect(verdict).toMatchObject({ step: 'step 2/3', verdict: 'fail', canary: V2, baseline: V1 });
    expect(verdict.window.until - verdict.window.since).toBe(10_000);
    const judged = verdict.result.metrics.find((m) => m.metric === metric)!;
    expect(judged.verdict).toBe('fail');
    expect(judged.canary.n).toBeGreaterThan(0);
    expect(judged.canary.value).toBeGreaterThan(0.1);
    expect(judged.reason).toContain(metric);

    // New sessions go back to the old build at once.
    const after = [await h.join(FLEET, 'after-1'), await h.join(FLEET, 'after-2'), await h.join(FLEET, 'after-3')];
    expect(after.map((p) => p.build)).toEqual([V1, V1, V1]);
    expect(must(await api.fleet(FLEET), 'get fleet').routing.entries.find((e) => e.build === V2)?.weight ?? 0).toBe(0);

    // The old build's players played through it all and leave normally.
    const onV1 = [...baseline, ...during.filter((p): p is Player => p !== null && p.build === V1)];
    for (const p of onV1) {
      expect(p.connected, `${p.id} on ${V1} still connected`).toBe(true);
      await p.receivesTicks(1);
    }
    for (const p of [...onV1, ...after]) expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });
    const v1Sessions = (await api.sessions(FLEET)).filter((s) => s.build === V1);
    expect(v1Sessions.filter((s) => s.closeReason !== null && s.closeReason !== 'ended')).toEqual([]);
  }, 180_000);

  it('fails a blue-green release by its background analysis once the switched build closes sessions in error, before it completes', async () => {
    const h = harness();
    const { api } = h;
    await applyFleet(api, ['--abnormal-close-rate', '1']);
    // Players on the old build keep it draining: the release cannot complete while they play.
    const baseline = [await h.join(FLEET, 'base-1'), await h.join(FLEET, 'base-2')];
    const started = must(await api.startRollout({
      fleet: FLEET, build: V2, strategy: 'blue-green', oldIdleSeconds: 60,
      backgroundAnalysis: { intervalSeconds: 10, windowSeconds: 20, metrics: [{ metric: 'abnormal_close_rate', max: 0.1, minSamples: 2 }] },
    }), 'start the blue-green release');
    await waitForPhase(api, started.id, 'Draining', 60_000);
    for (let i = 1; i <= 6; i++) await tryJoin(h, `during-${i}`);

    const failed = await waitForPhase(api, started.id, 'Failed', 90_000);
    expect(failed.message).toMatch(/^background #\d+ analysis failed: fail: .*abnormal_close_rate/);
    expect(failed.completedAt).toBeNull();
    const status = await rolloutStatusJson(h);
    const verdicts = status.analyses.filter((a) => a.kind === 'background');
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.at(-1)).toMatchObject({ verdict: 'fail', canary: V2, baseline: V1 });
    expect(status.background).toMatchObject({ running: null, heldAt: null });

    // New sessions go back to the old build; its players never noticed.
    const after = await h.join(FLEET, 'after-1');
    expect(after.build).toBe(V1);
    for (const p of baseline) {
      expect(p.connected, `${p.id} on ${V1} still connected`).toBe(true);
      await p.receivesTicks(1);
    }
    for (const p of [...baseline, after]) expect(await p.leave()).toEqual({ code: 1000, reason: 'bye', byServer: true });
  }, 180_000);

  it('pauses a canary whose window held too little data to judge, and continues it when a person promotes', async () => {
    const h = harness();
    const { api } = h;
    await applyFleet(api, []);
    const started = must(await api.startRollout({
      fleet: FLEET, build: V2, strategy: 'canary', oldIdleSeconds: 1,
      steps: [{ setWeight: 50 }, { analysis: { metrics: { windowSeconds: 10, metrics: [{ metric: 'abnormal_close_rate', max: 0.1, minSamples: 50 }] } } }, { setWeight: 100 }],
    }), 'start the canary');
    const paused = await waitForPhase(api, started.id, 'Paused', 60_000);
    expect(paused.message).toMatch(/^step 2\/3: analysis inconclusive at 50%/);
    expect(paused.analyses.map((a) => a.verdict)).toEqual(['inconclusive']);
    expect(paused.analyses[0]?.result.metrics[0]).toMatchObject({ metric: 'abnormal_close_rate', verdict: 'inconclusive' });
    // It stays paused: no verdict is taken again, the weight holds.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const still = must(await api.rollout(started.id), 'get rollout');
    expect([still.phase, still.analyses.length]).toEqual(['Paused', 1]);

    must(await api.request<RolloutView>('POST', `/v1/rollouts/${started.id}/promote`), 'promote');
    await waitForPhase(api, started.id, 'Draining');
  }, 120_000);
});
