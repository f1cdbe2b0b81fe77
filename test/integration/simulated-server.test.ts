import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, waitFor, type Json } from '../support/control-plane.js';

/**
 * `handoff server --runtime simulated`: the real control plane, run from the command line, with
 * game servers that are not processes. A build whose executable exists nowhere runs as a
 * simulated game server; its `--sim-*` arguments say how it behaves.
 */
describe('handoff server --runtime simulated', () => {
  it('runs a fleet of simulated game servers and releases a new build to it, with no game installed', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-sim-server-'));
    const child = spawn(path.join(repoRoot, 'bin/handoff'), ['server', '--runtime', 'simulated', '--sim-seed', '42', '--data-dir', dataDir, '--port', '0', '--sdk-port', '0'], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening on (http:\/\/\S+) .*simulated game servers, seed 42/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.once('exit', () => reject(new Error(`control plane exited early: ${out}`)));
      });
      const call = async (method: string, route: string, body?: unknown): Promise<{ status: number; body: Json }> => {
        const res = await fetch(`${url}${route}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        return { status: res.status, body: await res.json() };
      };
      const build = (id: string, version: string, args: string[] = []) => ({
        id, version, launch: { executable: 'mmo-server', args: ['--sim-start-latency-ms=10-50', ...args] }, sessionsPerServer: 4,
      });
      const refused = await call('POST', '/v1/apply', { builds: [build('bad', '1.0.0', ['--sim-crash-rate=1'])], fleets: [] });
      expect([refused.status, refused.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);

      const applied = await call('POST', '/v1/apply', {
        builds: [build('mmo-v1', '1.0.0'), build('mmo-v2', '2.0.0')],
        fleets: [{ name: 'mmo', build: 'mmo-v1', capacity: { minServers: 3, maxServers: 6, bufferServers: 0, idleTimeoutSeconds: 600 } }],
      });
      expect(applied.status).toBe(200);
      await waitFor(async () => (await call('GET', '/v1/fleets/mmo')).body.status.serversByState.Ready === 3, 'three Ready simulated servers');
      const allocated = await call('POST', '/v1/allocations', { fleet: 'mmo', playerId: 'ana' });
      expect(allocated.status).toBe(201);
      expect(allocated.body.server).toMatchObject({ build: 'mmo-v1', address: '127.0.0.1' });
      expect((await call('DELETE', `/v1/sessions/${allocated.body.sessionId}`)).status).toBe(200);

      const release = await call('POST', '/v1/rollouts', { fleet: 'mmo', build: 'mmo-v2', oldIdleSeconds: 0 });
      expect(release.status).toBe(201);
      await waitFor(async () => (await call('GET', `/v1/rollouts/${release.body.id}`)).body.phase === 'Completed', 'the release to complete');
      const servers = (await call('GET', '/v1/servers?fleet=mmo')).body.items as { build: string }[];
      expect(servers.map((s) => s.build)).toEqual(['mmo-v2', 'mmo-v2', 'mmo-v2']);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
