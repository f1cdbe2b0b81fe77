import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableDigest, fixtureServer, repoRoot, startTestPlane, waitFor, type TestPlane } from '../support/control-plane.js';

const run = promisify(execFile);

/** Runs the real `bin/handoff` against the test control plane; never throws, returns the exit code. */
async function handoff(url: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.join(repoRoot, 'bin/handoff'), ['--server', url, ...args], { cwd: tmpdir() });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('the handoff CLI against a real control plane', () => {
  let t: TestPlane;
  let manifest = '';
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 41_700 });
    manifest = path.join(mkdtempSync(path.join(tmpdir(), 'handoff-cli-')), 'fleet.yaml');
    const build = (id: string, version: string) => `kind: Build
id: ${id}
version: ${version}
launch:
  executable: ${process.execPath}
  args: [${fixtureServer}]
  workingDir: ${repoRoot}
sessionsPerServer: 4
---
`;
    writeFileSync(manifest, `${build('cli-v1', '1.0.0')}${build('cli-v2', '2.0.0')}kind: Fleet
name: cli
build: cli-v1
capacity: { minServers: 1, maxServers: 3, bufferServers: 0, idleTimeoutSeconds: 600 }
`);
  });
  afterAll(() => t.close());

  it('applies a manifest, allocates, releases with --watch until Completed, and shows the result', async () => {
    const applied = await handoff(t.cp.url, 'apply', '-f', manifest);
    expect(applied).toMatchObject({ code: 0 });
    expect(applied.stdout).toContain('fleet/cli created');
    await waitFor(async () => (await t.call('GET', '/v1/fleets/cli')).body.status.serversByState.Ready === 1, 'a Ready server');

    const alloc = await handoff(t.cp.url, 'allocate', 'cli', '--player', 'ana', '--json');
    expect(alloc.code).toBe(0);
    const session = JSON.parse(alloc.stdout) as { sessionId: string; server: { build: string } };
    expect(session.server.build).toBe('cli-v1');

    const started = await handoff(t.cp.url, 'rollout', 'start', 'cli', '--build', 'cli-v2', '--old-idle', '1s');
    expect(started.code).toBe(0);
    // The old build empties when ana leaves; meanwhile --watch follows the release to the end.
    const watching = handoff(t.cp.url, 'rollout', 'status', 'cli', '--watch', '--interval', '200ms');
    await waitFor(async () => (await t.call('GET', '/v1/fleets/cli')).body.routing.entries[0].build === 'cli-v2', 'the switch');
    expect((await handoff(t.cp.url, 'allocate', 'cli', '--player', 'bo', '--json')).stdout).toContain('"build":"cli-v2"');
    expect((await t.call('DELETE', `/v1/sessions/${session.sessionId}`)).status).toBe(200);
    const watched = await watching;
    expect(watched.code).toBe(0);
    expect(watched.stdout).toContain('Completed');

    const fleets = await handoff(t.cp.url, 'get', 'fleets');
    expect(fleets.stdout).toMatch(/cli\s+cli-v2/);
  }, 60_000);

  it('refuses a manifest with a misspelt field before sending anything, naming the field and the right one', async () => {
    const typo = path.join(path.dirname(manifest), 'typo.yaml');
    writeFileSync(typo, 'kind: Fleet\nname: typo\nbuild: cli-v1\ncapacity: { minServers: 1, maxServers: 2, idleTimeoutSecond: 5 }\n');
    const before = await durableDigest(t.cp);
    const r = await handoff(t.cp.url, 'apply', '-f', typo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown field "capacity.idleTimeoutSecond" (did you mean "idleTimeoutSeconds"?)');
    expect((await t.call('GET', '/v1/fleets/typo')).status).toBe(404);
    expect(await durableDigest(t.cp)).toBe(before);
  });

  it('exits 1 with the error code when the API refuses', async () => {
    const r = await handoff(t.cp.url, 'rollout', 'start', 'nope', '--build', 'cli-v2');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FLEET_NOT_FOUND');
  });

  it('declares an environment and a webhook with apply, stages, snapshots and shows them, and exits 1 on a missing build', async () => {
    const file = path.join(path.dirname(manifest), 'env.yaml');
    writeFileSync(file, 'kind: Environment\nname: prod\nfleets: [cli]\n---\nkind: Webhook\nname: ops\nurl: http://127.0.0.1:9/hook\nsecret: cli-test-secret-0123456789\nformat: slack\n');
    // Run alone, the fleet is not there yet (the first test creates it, then releases it to cli-v2).
    if ((await t.call('GET', '/v1/fleets/cli')).status === 404) expect((await handoff(t.cp.url, 'apply', '-f', manifest)).code).toBe(0);
    const applied = await handoff(t.cp.url, 'apply', '-f', file);
    expect(applied.stderr).toBe('');
    expect([applied.code, applied.stdout.trim().split('\n')]).toEqual([0, ['environment/prod created', 'webhook/ops created']]);
    const running = (await t.call('GET', '/v1/fleets/cli')).body.currentBuild as string;
    const other = running === 'cli-v1' ? 'cli-v2' : 'cli-v1';

    const staged = await handoff(t.cp.url, 'env', 'stage', 'prod', '--build', other, '--warm-servers', '0');
    expect([staged.code, staged.stdout.trim()]).toEqual([0, `${other} staged in prod (slot green, 0 warm server(s) per fleet)`]);
    const snap = await handoff(t.cp.url, 'env', 'snapshot', 'prod');
    expect(snap.stdout).toContain(`snapshot #1 of prod taken: blue live on ${running}`);
    const list = await handoff(t.cp.url, 'env', 'list');
    expect(list.stdout).toMatch(new RegExp(`prod\\s+cli\\s+blue\\s+${running}\\s+${other}\\s+0 warm\\s+#1`));
    const status = await handoff(t.cp.url, 'env', 'status', 'prod');
    expect(status.stdout).toContain('History (newest first):');
    expect(status.stdout).toContain('snapshot #1: manual');
    const history = JSON.parse((await handoff(t.cp.url, 'env', 'history', 'prod', '--json')).stdout) as { items: { action: string }[] };
    expect(history.items.map((h) => h.action)).toEqual(['snapshot', 'stage', 'created']);
    const hooks = await handoff(t.cp.url, 'webhook', 'list');
    expect(hooks.stdout).toMatch(/ops\s+http:\/\/127\.0\.0\.1:9\/hook\s+all\s+slack/);
    expect(hooks.stdout).not.toContain('cli-test-secret');

    const before = await durableDigest(t.cp);
    const missing = await handoff(t.cp.url, 'env', 'stage', 'prod', '--build', 'ghost');
    expect([missing.code, missing.stderr.trim()]).toEqual([1, 'error SLOT_BUILD_NOT_FOUND: build ghost is not registered']);
    expect(await durableDigest(t.cp)).toBe(before);
    expect((await handoff(t.cp.url, 'webhook', 'delete', 'ops')).stdout.trim()).toBe('webhook/ops deleted');
  }, 120_000);
});
