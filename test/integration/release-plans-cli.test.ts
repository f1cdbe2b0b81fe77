import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot, waitFor, type Json } from '../support/control-plane.js';
import { simBuild, simFleet, startSimulatedPlane, type SimulatedPlane } from '../support/simulated-plane.js';

const run = promisify(execFile);

async function handoff(url: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.join(repoRoot, 'bin/handoff'), ['--server', url, ...args], { cwd: tmpdir() });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Two fleets on v1 with v2 registered: a game (`world`) and a service without sessions (`payments`). */
async function twoFleets(): Promise<SimulatedPlane> {
  const t = await startSimulatedPlane();
  const builds = [simBuild('world-v1'), simBuild('world-v2'), simBuild('payments-v1', 0), simBuild('payments-v2', 0)];
  expect((await t.call('POST', '/v1/apply', { builds, fleets: [simFleet('world', 'world-v1'), simFleet('payments', 'payments-v1')] })).status).toBe(200);
  for (const f of ['world', 'payments']) await waitFor(async () => (await t.call('GET', `/v1/fleets/${f}`)).body.status.serversByState.Ready >= 2, `${f} Ready`);
  return t;
}

const PLAN = `kind: ReleasePlan
name: patch
failurePolicy: stop
steps:
  - name: payments
    fleet: payments
    build: payments-v2
    strategy: blue-green
  - name: world
    fleet: world
    build: world-v2
    strategy: rolling
    after: [payments]
    gate: { approval: true }
`;

const plan = async (t: SimulatedPlane, name: string): Promise<Json> => (await t.call('GET', `/v1/releases/${name}`)).body;
const stepPhase = (p: Json, name: string): string => p.steps.find((s: Json) => s.name === name).phase;

describe('release plans from the CLI, across a restart, and the endpoints of a service without sessions', () => {
  let t: SimulatedPlane | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('applies a plan with `handoff release apply`, shows it, keeps it across a restart, and approves it to completion', async () => {
    t = await twoFleets();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'handoff-plan-')), 'plan.yaml');
    writeFileSync(file, PLAN);
    const applied = await handoff(t.cp.url, 'release', 'apply', '-f', file);
    expect(applied).toMatchObject({ code: 0 });
    expect(applied.stdout).toContain('releaseplan/patch created');
    await waitFor(async () => stepPhase(await plan(t!, 'patch'), 'world') === 'Gated', 'world at its approval gate', 30_000);

    const status = await handoff(t.cp.url, 'release', 'status', 'patch');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/payments\s+payments\s+payments-v2\s+blue-green\s+-\s+Completed/);
    expect(status.stdout).toMatch(/world\s+world\s+world-v2\s+rolling\s+payments\s+Gated\s+approval waiting/);

    // The plan waits at its gate through a restart of the control plane.
    t = await t.restart();
    expect(stepPhase(await plan(t, 'patch'), 'world')).toBe('Gated');
    const approved = await handoff(t.cp.url, 'release', 'approve', 'patch');
    expect(approved).toMatchObject({ code: 0 });
    const done = await waitFor(async () => ((await plan(t!, 'patch')).phase === 'Completed' ? plan(t!, 'patch') : null), 'the plan to complete', 40_000);
    expect(done.completionOrder).toEqual(['payments', 'world']);

    // `handoff apply` takes the same document: identical, so unchanged.
    const again = await handoff(t.cp.url, 'apply', '-f', file);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain('releaseplan/patch unchanged');
    const refused = await handoff(t.cp.url, 'release', 'approve', 'patch', '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.code).toBe('RELEASE_INVALID_PHASE');
  }, 240_000);

  it('aborts a plan with `handoff release abort`', async () => {
    t = await twoFleets();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'handoff-plan-')), 'plan.yaml');
    writeFileSync(file, PLAN);
    expect((await handoff(t.cp.url, 'apply', '-f', file)).stdout).toContain('releaseplan/patch created');
    await waitFor(async () => stepPhase(await plan(t!, 'patch'), 'world') === 'Gated', 'world at its approval gate', 30_000);
    const aborted = await handoff(t.cp.url, 'release', 'abort', 'patch');
    expect(aborted).toMatchObject({ code: 0 });
    expect(aborted.stdout).toContain('aborted; Aborted');
    expect((await plan(t, 'patch')).steps.map((s: Json) => s.phase)).toEqual(['Completed', 'Cancelled']);
  }, 120_000);

  it('finds a service without sessions through its endpoints, which follow a blue-green switch in one version, and refuses to allocate on it', async () => {
    t = await twoFleets();
    const alloc = await t.call('POST', '/v1/allocations', { fleet: 'payments', playerId: 'ana' });
    expect([alloc.status, alloc.body.error.code]).toEqual([409, 'FLEET_NOT_ALLOCATABLE']);

    const url = `${t.cp.url}/v1/fleets/payments/endpoints`;
    const first = await fetch(url);
    const before = (await first.json()) as Json;
    expect(first.headers.get('etag')).toBe(`"${before.version}"`);
    expect(before.endpoints.map((e: Json) => e.build)).toEqual(['payments-v1', 'payments-v1']);
    expect(Object.keys(before.endpoints[0].ports)).toEqual(['http']);
    const unchanged = await fetch(url, { headers: { 'if-none-match': `"${before.version}"` } });
    expect(unchanged.status).toBe(304);

    // A long poll held on the current version answers when the switch changes the list.
    const held = fetch(`${url}?wait=30s`, { headers: { 'if-none-match': `"${before.version}"` } });
    expect((await t.call('POST', '/v1/rollouts', { fleet: 'payments', build: 'payments-v2', strategy: 'blue-green' })).status).toBe(201);
    const changed = await held;
    const after = (await changed.json()) as Json;
    expect(changed.status).toBe(200);
    expect(after.version).not.toBe(before.version);
    expect(new Set(after.endpoints.map((e: Json) => e.build))).toEqual(new Set(['payments-v2']));

    const timedOut = await fetch(`${url}?wait=200ms`, { headers: { 'if-none-match': `"${after.version}"` } });
    expect(timedOut.status).toBe(304);
    const bad = await fetch(`${url}?wait=2m`);
    expect([bad.status, ((await bad.json()) as Json).error.code]).toEqual([400, 'VALIDATION_FAILED']);
  }, 60_000);
});
