import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmokeCheck } from './smoke.js';

describe('smoke checks', () => {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/healthz' ? 200 : 500;
    res.end('x');
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const target = () => ({ serverId: 'srv_1', address: '127.0.0.1', ports: { game: port } });
  const http = (path: string) => ({ kind: 'http' as const, port: 'game', path, expectStatus: 200, timeoutSeconds: 5 });

  it('passes an HTTP probe that gets the expected status', async () => {
    expect(await runSmokeCheck(http('/healthz'), target(), process.cwd())).toMatchObject({ passed: true });
  });

  it('fails an HTTP probe that gets another status and says which', async () => {
    const r = await runSmokeCheck(http('/broken'), target(), process.cwd());
    expect(r.passed).toBe(false);
    expect(r.detail).toContain('→ 500, expected 200');
  });

  it('fails an HTTP probe on a port the server does not have', async () => {
    const r = await runSmokeCheck({ ...http('/'), port: 'voice' }, target(), process.cwd());
    expect(r).toEqual({ passed: false, detail: 'server has no port named voice' });
  });

  it('passes a command that exits 0 and gives it the target in its environment', async () => {
    const cmd = ['node', '-e', 'process.exit(JSON.parse(process.env.HANDOFF_TARGET_PORTS).game > 0 ? 0 : 1)'];
    expect(await runSmokeCheck({ kind: 'command', command: cmd, timeoutSeconds: 10 }, target(), process.cwd())).toMatchObject({ passed: true });
  });

  it('fails a command that exits non-zero and keeps its output', async () => {
    const r = await runSmokeCheck({ kind: 'command', command: ['node', '-e', 'console.error("boom"); process.exit(3)'], timeoutSeconds: 10 }, target(), process.cwd());
    expect(r).toEqual({ passed: false, detail: 'node exited 3: boom' });
  });

  it('fails a command that does not exist', async () => {
    const r = await runSmokeCheck({ kind: 'command', command: ['/nonexistent/check'], timeoutSeconds: 5 }, target(), process.cwd());
    expect(r.passed).toBe(false);
  });
});
