import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GameServer } from '../../src/fleet/model.js';
import { startControlPlane, type ControlPlane } from '../../src/server/compose.js';
import { fleetSpec, freePort, repoRoot, waitFor } from '../support/control-plane.js';

/**
 * Game servers built with the 0.1.0 SDK under a control plane with several replicas: that SDK
 * reads HANDOFF_SDK_URL as one URL (`URL.canParse`, then the call path appended), so a
 * comma-separated list of every replica's endpoint would stop it at start. It must still get a
 * URL it can use.
 */
describe('a game server on the 0.1.0 SDK under replicated control planes', () => {
  let cp: ControlPlane;
  let dataDir = '';
  let otherReplica = '';
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-compat-'));
    // Another replica's SDK endpoint, as the cluster view lists it (nothing listens there).
    otherReplica = `http://127.0.0.1:${await freePort()}`;
    cp = await startControlPlane(
      { dataDir, port: 0, sdkPort: 0, portRange: { from: 42_160, to: 42_179 }, cwd: repoRoot, reconcileIntervalMs: 100, backoffBaseMs: 50, backoffMaxMs: 200 },
      { log: () => undefined, onFatal: () => undefined, sdkUrls: () => [otherReplica] },
    );
  });
  afterAll(async () => {
    await cp.close({ stopServers: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, reports ready and stays up: the first URL it is given is this replica\'s alone', async () => {
    const build = {
      id: 'old-sdk', version: '1.0.0', sessionsPerServer: 4,
      launch: { executable: process.execPath, args: ['--import', 'tsx', path.join(repoRoot, 'test/compat/fixtures/sdk-0.1.0-game.ts')], workingDir: repoRoot },
    };
    const res = await fetch(`${cp.url}/v1/apply`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ builds: [build], fleets: [fleetSpec('arena', 'old-sdk', { minServers: 1, maxServers: 1 })] }),
    });
    expect(res.status).toBe(200);
    // tsx compiles the SDK at start: on a loaded machine that takes seconds.
    // A crashed server is replaced (and forgotten) at once: look for its crash event instead.
    const crashed = async () => (await cp.store.listEvents({ limit: 100 })).find((e) => e.kind === 'server.crashed');
    const outcome = await waitFor(async () => [...cp.world.servers.values()].find((s) => s.state === 'Ready') ?? (await crashed()), 'the old-SDK server Ready, or its crash', 60_000);
    // On a crash, show why: the server's own output (0.1.0 says "HANDOFF_SDK_URL is not a URL").
    const crash = await crashed();
    const log = crash ? path.join(dataDir, 'logs', `${crash.subject}.log`) : '';
    expect(crash ? { crashed: crash.message, output: existsSync(log) ? readFileSync(log, 'utf8').slice(0, 400) : '' } : null).toBeNull();
    const ready = outcome as GameServer;
    // Still healthy a few pings later, on the same process.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(cp.world.servers.get(ready.id)).toMatchObject({ state: 'Ready', pid: ready.pid });
    // What it was given: this replica's endpoint alone, and every replica's in the new variable.
    const environ = new Map(readFileSync(`/proc/${ready.pid}/environ`, 'utf8').split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    expect(environ.get('HANDOFF_SDK_URL')).toBe(cp.sdkUrl);
    expect(environ.get('HANDOFF_SDK_URLS')).toBe(`${cp.sdkUrl},${otherReplica}`);
  }, 90_000);
});
