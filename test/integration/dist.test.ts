/**
 * The production shape: `npm run build` output runs without a TypeScript loader. The control
 * plane starts from dist/, and a game server written in plain JavaScript, installed the way a
 * studio would install Handoff (node_modules/handoff), imports the compiled `handoff/sdk`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetSpec, repoRoot, waitFor, type Json } from '../support/control-plane.js';
import { ensureDist } from '../../scripts/ensure-dist.js';

const GameServer = `import { HandoffSdk, SdkError } from 'handoff/sdk';
if (typeof SdkError !== 'function') throw new Error('SdkError is not exported');
const sdk = HandoffSdk.fromEnv();
await sdk.ready();
console.log('ready through the compiled SDK');
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1000);
`;

const Matchmaker = `import { HandoffClient, ApiError } from 'handoff/client';
if (typeof ApiError !== 'function') throw new Error('ApiError is not exported');
const a = await new HandoffClient().allocate({ fleet: 'plain', playerId: 'p1' });
if (!a.sessionId) throw new Error('no session');
console.log('allocated on the compiled client');
`;

describe('the compiled build', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let output = '';

  beforeAll(() => {
    ensureDist();
    dir = mkdtempSync(path.join(tmpdir(), 'handoff-dist-'));
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(repoRoot, path.join(dir, 'node_modules/handoff'));
    writeFileSync(path.join(dir, 'game.mjs'), GameServer);
    writeFileSync(path.join(dir, 'matchmaker.mjs'), Matchmaker);
  }, 600_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server?.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships the SDK as JavaScript with type declarations', () => {
    expect(existsSync(path.join(repoRoot, 'dist/sdk/index.js'))).toBe(true);
    expect(existsSync(path.join(repoRoot, 'dist/sdk/index.d.ts'))).toBe(true);
    expect(existsSync(path.join(repoRoot, 'dist/client/index.js'))).toBe(true);
    expect(existsSync(path.join(repoRoot, 'dist/client/index.d.ts'))).toBe(true);
  });

  it('runs handoff server from dist/ and a plain JavaScript game server reports ready through handoff/sdk', async () => {
    // No --import tsx anywhere: node runs compiled JavaScript only.
    server = spawn(process.execPath, [path.join(repoRoot, 'dist/cli/main.js'), 'server', '--data-dir', path.join(dir, 'data'), '--port', '0', '--sdk-port', '0', '--port-range', '44600-44619', '--stop-servers-on-exit'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    server.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(output)?.[1], `the server to listen (output: ${output})`, 30_000);
    const call = async (method: string, route: string, body?: unknown): Promise<Json> => {
      const res = await fetch(`${url}${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return res.json();
    };
    const build = {
      id: 'js1', version: '1.0.0', launch: { executable: process.execPath, args: ['game.mjs'], workingDir: dir },
      ports: [{ name: 'game', protocol: 'tcp' }], sessionsPerServer: 4, compatibleClients: '>=1.0.0',
    };
    await call('POST', '/v1/apply', { builds: [build], fleets: [fleetSpec('plain', 'js1', { minServers: 1, maxServers: 1 })] });
    await waitFor(async () => (await call('GET', '/v1/fleets/plain')).status.serversByState.Ready === 1, 'a Ready server', 30_000);

    // A matchmaker in plain JavaScript allocates through the compiled handoff/client, given a
    // list whose first replica is gone.
    const matchmaker = spawn(process.execPath, ['matchmaker.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HANDOFF_URL: `http://127.0.0.1:1,${url}` } });
    let said = '';
    matchmaker.stdout?.on('data', (b: Buffer) => (said += b.toString()));
    matchmaker.stderr?.on('data', (b: Buffer) => (said += b.toString()));
    expect(await new Promise((r) => matchmaker.once('exit', r)), said).toBe(0);
    expect(said).toContain('allocated on the compiled client');

    server.kill('SIGTERM');
    const code = await new Promise((r) => server?.once('exit', r));
    expect(code).toBe(0);
  }, 60_000);
});
