import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/control-plane.js';

describe('a control plane whose store fails', () => {
  it('answers the request in flight with 503 STORE_UNAVAILABLE before it exits with status 75', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-fatal-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/failing-store-plane.ts', dataDir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening (http:\/\/\S+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.once('exit', () => reject(new Error(`control plane exited early: ${out}`)));
      });
      const build = { id: 'v1', version: '1.0.0', launch: { executable: process.execPath, args: [] }, sessionsPerServer: 1 };
      const put = (id: string) => fetch(`${url}/v1/builds/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...build, id: undefined }) });
      expect((await put('v1')).status).toBe(200);

      child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 100));
      const res = await put('v2');
      const body = (await res.json()) as { error: { code: string; retryable: boolean } };
      expect([res.status, body.error.code, body.error.retryable, res.headers.get('retry-after')]).toEqual([503, 'STORE_UNAVAILABLE', true, '1']);
      expect(await exited).toBe(75);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
