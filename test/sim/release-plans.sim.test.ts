import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { ReleaseRecord } from '../../src/release/model.js';
import { gameServerProgram } from '../../src/runtime/simulated/game-server.js';
import { SimulatedHost } from '../../src/runtime/simulated/host.js';
import { SimControlPlane } from '../../src/sim/control-plane.js';
import { resetIds } from './seeded-ids.js';

vi.mock('../../src/core/ids.js', () => import('./seeded-ids.js'));

/**
 * Release plans on the real composition with a fake clock: four fleets on simulated servers, no
 * players (sessions are the strategies' business, tested in their rows); what is checked is the
 * plan's order, its gate, its failure policy and a restart in the middle.
 */
const FLEETS = ['infra', 'payments', 'world', 'raids'] as const;

async function game(clock: FakeClock): Promise<SimControlPlane> {
  resetIds(7);
  const host = new SimulatedHost({ clock, seed: 7, defaultProgram: gameServerProgram() });
  const cp = new SimControlPlane({ clock, host, log: () => undefined, onFatal: (e) => { throw e; } });
  await cp.start();
  const build = (id: string, args: string[] = []) => ({ id, version: '1.0.0', launch: { executable: 'game-server', args }, sessionsPerServer: id.startsWith('payments') ? 0 : 4 });
  const answer = await cp.apply({
    builds: [...FLEETS.flatMap((f) => [build(`${f}-v1`), build(`${f}-v2`)]), build('raids-broken', ['--sim-crash-at-start=1'])],
    fleets: FLEETS.map((name) => ({ name, build: `${name}-v1`, capacity: { minServers: 1, maxServers: 4, bufferServers: 0, idleTimeoutSeconds: 5 } })),
  });
  expect(answer.ok).toBe(true);
  await run(cp, clock, 20_000, () => FLEETS.every((f) => [...cp.world.fleetServers(f)].some((s) => s.state === 'Ready')));
  return cp;
}

/** Advances the fake clock in half-second steps, letting every pass finish, until `done` or `limitMs`. */
async function run(cp: SimControlPlane, clock: FakeClock, limitMs: number, done: () => boolean | Promise<boolean>): Promise<void> {
  const end = clock.now() + limitMs;
  while (!(await done())) {
    if (clock.now() > end) throw new Error(`not done after ${limitMs} simulated ms`);
    clock.advance(500);
    for (let i = 0; i < 8; i++) await new Promise((r) => setImmediate(r));
  }
}

async function plan(cp: SimControlPlane, name: string): Promise<ReleaseRecord> {
  const a = await cp.plan(name);
  if (!a.ok) throw new Error(a.code);
  return a.value;
}
const phaseOf = (r: ReleaseRecord, step: string) => r.steps.find((s) => s.name === step)?.phase;

const fourStrategies = (startsAt: number) => ({
  name: 'season', failurePolicy: 'stop',
  steps: [
    { name: 'infra', fleet: 'infra', build: 'infra-v2', strategy: 'maintenance', startsAt, durationSeconds: 60, noticeLeadSeconds: 1 },
    { name: 'payments', fleet: 'payments', build: 'payments-v2', strategy: 'blue-green', oldIdleSeconds: 1, after: ['infra'] },
    { name: 'world', fleet: 'world', build: 'world-v2', strategy: 'rolling', after: ['infra'] },
    { name: 'raids', fleet: 'raids', build: 'raids-v2', strategy: 'canary', steps: [{ setWeight: 50 }, { setWeight: 100 }], oldIdleSeconds: 1, after: ['world', 'payments'], gate: { approval: true } },
  ],
});

describe('release plans on a fake clock', () => {
  let cp: SimControlPlane | null = null;
  afterEach(async () => {
    await cp?.dispose();
    cp = null;
  });

  it('runs four strategies in dependency order, waits at its approval gate through a restart, and completes once approved', async () => {
    const clock = new FakeClock();
    cp = await game(clock);
    expect((await cp.applyPlan(fourStrategies(clock.now() + 5_000))).ok).toBe(true);
    await run(cp, clock, 300_000, async () => phaseOf(await plan(cp!, 'season'), 'raids') === 'Gated');
    const gated = await plan(cp, 'season');
    expect(gated.completionOrder[0]).toBe('infra');
    expect(new Set(gated.completionOrder.slice(1))).toEqual(new Set(['payments', 'world']));

    await cp.restart();
    expect(phaseOf(await plan(cp, 'season'), 'raids')).toBe('Gated');
    expect((await cp.approvePlan('season')).ok).toBe(true);
    await run(cp, clock, 300_000, async () => (await plan(cp!, 'season')).phase === 'Completed');
    const done = await plan(cp, 'season');
    expect(done.completionOrder[3]).toBe('raids');
    for (const f of FLEETS) expect(cp.world.fleets.get(f)?.currentBuild).toBe(`${f}-v2`);
    // Each step's rollout began only after the rollouts of the steps it comes after completed.
    const rollout = (step: string) => cp!.world.rollouts.get(done.steps.find((s) => s.name === step)?.rolloutId ?? '');
    for (const [step, deps] of [['payments', ['infra']], ['world', ['infra']], ['raids', ['world', 'payments']]] as const) {
      for (const d of deps) expect(rollout(step)?.createdAt).toBeGreaterThanOrEqual(rollout(d)?.completedAt ?? Infinity);
    }
  }, 120_000);

  it('rolls completed steps back, newest first, when a later step fails and the policy says rollback', async () => {
    const clock = new FakeClock();
    cp = await game(clock);
    const body = {
      name: 'undo', failurePolicy: 'rollback',
      steps: [
        { name: 'world', fleet: 'world', build: 'world-v2', strategy: 'rolling' },
        { name: 'payments', fleet: 'payments', build: 'payments-v2', oldIdleSeconds: 1, after: ['world'] },
        { name: 'raids', fleet: 'raids', build: 'raids-broken', strategy: 'blue-green', maxStartFailures: 1, after: ['payments'] },
      ],
    };
    expect((await cp.applyPlan(body)).ok).toBe(true);
    await run(cp, clock, 600_000, async () => (await plan(cp!, 'undo')).phase === 'RolledBack');
    const ended = await plan(cp, 'undo');
    expect(ended.steps.map((s) => [s.name, s.phase])).toEqual([['world', 'RolledBack'], ['payments', 'RolledBack'], ['raids', 'Failed']]);
    const back = (step: string) => cp!.world.rollouts.get(ended.steps.find((s) => s.name === step)?.rollbackRolloutId ?? '');
    expect([back('payments')?.toBuild, back('world')?.toBuild]).toEqual(['payments-v1', 'world-v1']);
    expect(back('world')?.createdAt).toBeGreaterThanOrEqual(back('payments')?.completedAt ?? Infinity);
    for (const f of ['world', 'payments', 'raids']) expect(cp.world.fleets.get(f)?.currentBuild).toBe(`${f}-v1`);
  }, 120_000);
});
