/**
 * The data directory holds the join-token secret and every server's SDK token (in the store)
 * and game-server logs that may print them: nobody but the control plane's user may read it.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../src/server/compose.js';
import { fixtureBuild, fleetSpec, repoRoot, waitFor } from '../support/control-plane.js';

describe('the data directory', () => {
  let parent: string;
  let cp: ControlPlane | undefined;
  afterEach(async () => {
    await cp?.close({ stopServers: true });
    rmSync(parent, { recursive: true, force: true });
  });

  it('is created 0700 with every file in it 0600, whatever the umask', async () => {
    parent = mkdtempSync(path.join(tmpdir(), 'handoff-perm-'));
    const dataDir = path.join(parent, 'data');
    // The worst umask: without explicit modes everything would be world-readable and writable.
    const umask = process.umask(0);
    try {
      cp = await startControlPlane(
        { dataDir, port: 0, sdkPort: 0, portRange: { from: 41_440, to: 41_459 }, cwd: repoRoot, reconcileIntervalMs: 100 },
        { log: () => undefined, onFatal: () => undefined },
      );
      const res = await fetch(`${cp.url}/v1/apply`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ builds: [fixtureBuild('v1')], fleets: [fleetSpec('arena', 'v1', { minServers: 1, maxServers: 1 })] }),
      });
      expect(res.status).toBe(200);
      const plane = cp;
      await waitFor(() => [...plane.world.servers.values()].some((s) => s.state === 'Ready'), 'a Ready server');
    } finally {
      process.umask(umask);
    }

    const mode = (f: string) => statSync(path.join(dataDir, f)).mode & 0o777;
    const logs = readdirSync(path.join(dataDir, 'logs'));
    expect(logs).toHaveLength(1);
    expect({
      dir: mode('.'), db: mode('handoff.db'), wal: mode('handoff.db-wal'), shm: mode('handoff.db-shm'),
      lock: mode('handoff.lock'), logDir: mode('logs'), log: mode(path.join('logs', logs[0] ?? '')),
    }).toEqual({ dir: 0o700, db: 0o600, wal: 0o600, shm: 0o600, lock: 0o600, logDir: 0o700, log: 0o600 });
  });
});
