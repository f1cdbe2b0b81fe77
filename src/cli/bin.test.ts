/**
 * Runs the real `bin/handoff` as a child process against a real HTTP server, from a working
 * directory outside the checkout, and checks what it sent, printed and exited with.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closedPortUrl, startFixtureServer, type FixtureServer, type Reply } from './fixture-server.js';
import { fleetView, rolloutView, serverView } from './testing.js';

const bin = fileURLToPath(new URL('../../bin/handoff', import.meta.url));

let workDir = '';
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'handoff-cli-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const servers: FixtureServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(routes: Record<string, Reply | readonly Reply[]>): Promise<FixtureServer> {
  const server = await startFixtureServer(routes);
  servers.push(server);
  return server;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `handoff` with HANDOFF_URL pointing at `url`; async, so the in-process server keeps answering. */
function handoff(args: readonly string[], opts: { url?: string; stdin?: string; command?: string } = {}): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.HANDOFF_URL;
  if (opts.url) env.HANDOFF_URL = opts.url;
  const child = spawn(opts.command ?? bin, args, { cwd: workDir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(opts.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const noRollouts = { 'GET /v1/rollouts': { body: { items: [] } } };
const latest = (r = rolloutView()) => ({ 'GET /v1/rollouts': { body: { items: [r] } } });

describe('handoff get', () => {
  it('lists fleets as a table, asking for nothing more than the fleets', async () => {
    const server = await serve({ 'GET /v1/fleets': { body: { items: [fleetView()] } } });
    const res = await handoff(['get', 'fleets'], { url: server.url });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toMatch(/^NAME\s+BUILD\s+SERVERS\s+SESSIONS\s+FREE\s+ROLLOUT\narena\s+arena-1\s+Ready:1 Active:2\s+5\s+19\s+-\n$/);
    expect(server.requests).toEqual([expect.objectContaining({ method: 'GET', path: '/v1/fleets', query: {} })]);
  });

  it('asks for open sessions of one fleet by default', async () => {
    const server = await serve({ 'GET /v1/sessions': { body: { items: [] } } });
    const res = await handoff(['get', 'sessions', '--fleet', 'arena', '--limit', '5'], { url: server.url });
    expect(res).toMatchObject({ code: 0, stdout: 'No sessions found.\n' });
    expect(server.requests[0]?.query).toEqual({ fleet: 'arena', limit: '5', open: 'true' });
  });

  it('prints the API body verbatim with --json, given before or after the command, and honours --server', async () => {
    const server = await serve({ 'GET /v1/servers': { body: { items: [serverView()] } } });
    const body = JSON.stringify({ items: [serverView()] });
    const after = await handoff(['get', 'servers', '--all', '--json', '--server', server.url], { url: 'http://127.0.0.1:1' });
    const before = await handoff(['--json', '--server', server.url, 'get', 'servers', '--all']);
    expect(after).toEqual({ code: 0, stdout: `${body}\n`, stderr: '' });
    expect(before).toEqual(after);
    expect(server.requests.map((r) => r.query)).toEqual([{ all: 'true' }, { all: 'true' }]);
  });
});

describe('handoff apply', () => {
  const build = { id: 'arena-2', version: '2.0.0', launch: { executable: './arena' }, sessionsPerServer: 8 };
  const fleet = { name: 'arena', build: 'arena-1', capacity: { minServers: 1, maxServers: 4 } };
  const applied = { builds: [{ id: 'arena-2', result: 'created' }], fleets: [{ name: 'arena', result: 'unchanged' }] };

  it('sends a multi-document YAML file as one apply request, relative to the caller\'s cwd', async () => {
    const server = await serve({ 'POST /v1/apply': { body: applied } });
    await writeFile(
      join(workDir, 'arena.yaml'),
      'kind: Build\nid: arena-2\nversion: "2.0.0"\nlaunch: {executable: ./arena}\nsessionsPerServer: 8\n---\n' +
        'kind: Fleet\nname: arena\nbuild: arena-1\ncapacity: {minServers: 1, maxServers: 4}\n',
    );
    const res = await handoff(['apply', '-f', 'arena.yaml'], { url: server.url });
    expect(res).toEqual({ code: 0, stdout: 'build/arena-2 created\nfleet/arena unchanged\n', stderr: '' });
    expect(server.requests).toEqual([
      expect.objectContaining({ method: 'POST', path: '/v1/apply', body: { builds: [build], fleets: [fleet] } }),
    ]);
  });

  it('reads a single JSON document from stdin with -f -', async () => {
    const server = await serve({ 'POST /v1/apply': { body: applied } });
    const res = await handoff(['apply', '-f', '-'], { url: server.url, stdin: JSON.stringify({ builds: [build], fleets: [fleet] }) });
    expect(res.code).toBe(0);
    expect(server.requests[0]?.body).toEqual({ builds: [build], fleets: [fleet] });
  });

  it('refuses an unknown kind with exit 2, naming the document, and sends nothing', async () => {
    const server = await serve({});
    const res = await handoff(['apply', '-f', '-'], { url: server.url, stdin: 'kind: Build\nid: a\n---\nkind: Pod\n' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('stdin: document 2: unknown kind "Pod"');
    expect(server.requests).toEqual([]);
  });
});

describe('handoff allocate', () => {
  it('posts the allocation and prints where to connect', async () => {
    const allocation = {
      sessionId: 'ses_1',
      fleet: 'arena',
      playerId: 'p1',
      reconnected: false,
      server: { id: 'srv_a', build: 'arena-1', version: '1.0.0', address: '127.0.0.1', ports: { game: 7001 } },
      joinToken: 'tok_123',
    };
    const server = await serve({ 'POST /v1/allocations': { status: 201, body: allocation } });
    const res = await handoff(['allocate', 'arena', '--player', 'p1', '--attr', 'mode=ranked', '--idempotency-key', 'k1'], {
      url: server.url,
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('connect  127.0.0.1:7001 (game)');
    expect(res.stdout).toContain('token    tok_123');
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/allocations',
      body: { fleet: 'arena', playerId: 'p1', attributes: { mode: 'ranked' }, idempotencyKey: 'k1' },
    });
  });
});

describe('handoff rollout', () => {
  it('starts a rollout with the smoke check, drain and durations in the request body', async () => {
    const server = await serve({ 'POST /v1/rollouts': { status: 201, body: rolloutView({ phase: 'Provisioning' }) } });
    const res = await handoff(
      ['rollout', 'start', 'arena', '--build', 'arena-2', '--no-auto-promote', '--smoke-cmd', './smoke --map "de dust"', '--drain-deadline', '5m'],
      { url: server.url },
    );
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('rollout ro_1 started: fleet arena, arena-1 → arena-2 (Provisioning)');
    expect(server.requests[0]?.body).toEqual({
      fleet: 'arena',
      build: 'arena-2',
      strategy: 'blue-green',
      autoPromote: false,
      smoke: { kind: 'command', command: ['./smoke', '--map', 'de dust'] },
      drain: { deadlineSeconds: 300 },
      oldIdleSeconds: null,
    });
  });

  it('finds the fleet\'s latest rollout and shows its status', async () => {
    const forecast = {
      build: 'arena-1', now: 0, status: 'ok', reason: null, openSessions: 3,
      emptyAt: { p10: { at: 60_000, laterThan: null }, p50: { at: 120_000, laterThan: null }, p90: { at: 300_000, laterThan: null } },
    };
    const server = await serve({ ...latest(), 'GET /v1/rollouts/ro_1': { body: rolloutView() }, 'GET /v1/fleets/arena/forecast': { body: forecast } });
    const res = await handoff(['rollout', 'status', 'arena'], { url: server.url });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('phase    Draining: waiting for 3 sessions on arena-1 to end');
    expect(res.stdout).toMatch(/arena-2\s+100\s+Ready:1 Active:1\s+4/);
    expect(res.stdout).toContain('forecast arena-1: 3 sessions; empty in ~2m (10–90 %: 1m–5m)');
    expect(server.requests.map((r) => [r.method, r.path, r.query])).toEqual([
      ['GET', '/v1/rollouts', { fleet: 'arena', limit: '1' }],
      ['GET', '/v1/rollouts/ro_1', {}],
      ['GET', '/v1/fleets/arena/forecast', { build: 'arena-1' }],
    ]);
  });

  it.each(['promote', 'abort'])('posts %s to the latest rollout', async (action) => {
    const server = await serve({ ...latest(), [`POST /v1/rollouts/ro_1/${action}`]: { body: rolloutView() } });
    const res = await handoff(['rollout', action, 'arena'], { url: server.url });
    expect(res.code).toBe(0);
    expect(server.requests.at(-1)).toMatchObject({ method: 'POST', path: `/v1/rollouts/ro_1/${action}` });
  });

  it('watches until the rollout completes, appending a block per change when not on a terminal, and exits 0', async () => {
    const server = await serve({
      ...latest(),
      'GET /v1/rollouts/ro_1': [
        { body: rolloutView({ phase: 'Provisioning', readyAt: null, switchedAt: null, updatedAt: 1 }) },
        { body: rolloutView({ phase: 'Draining', updatedAt: 2 }) },
        { body: rolloutView({ phase: 'Completed', completedAt: rolloutView().switchedAt, updatedAt: 3 }) },
      ],
    });
    const res = await handoff(['rollout', 'status', 'arena', '--watch', '--interval', '0'], { url: server.url });
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain('\x1b[');
    expect(res.stdout.match(/^phase {4}\w+/gm)).toEqual(['phase    Provisioning', 'phase    Draining', 'phase    Completed']);
  });

  it('exits 1 when the watched rollout fails, printing one JSON document per poll with --json', async () => {
    const failed = rolloutView({ phase: 'Failed', message: 'smoke check failed', failedAt: 1 });
    const server = await serve({ ...latest(), 'GET /v1/rollouts/ro_1': [{ body: rolloutView() }, { body: failed }] });
    const res = await handoff(['rollout', 'status', 'arena', '-w', '--interval=0', '--json'], { url: server.url });
    expect(res.code).toBe(1);
    expect(res.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { phase: string }).phase)).toEqual(['Draining', 'Failed']);
  });

  it('keeps watching through a failed poll, reporting it', async () => {
    const unavailable = { error: { code: 'SHUTTING_DOWN', message: 'The control plane is shutting down', retryable: true } };
    const server = await serve({
      ...latest(),
      'GET /v1/rollouts/ro_1': [{ status: 503, body: unavailable }, { body: rolloutView({ phase: 'Completed' }) }],
    });
    const res = await handoff(['rollout', 'status', 'arena', '--watch', '--interval', '0'], { url: server.url });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('still watching; last poll failed: The control plane is shutting down');
    expect(res.stdout).toContain('phase    Completed');
  });

  it('says clearly when the fleet has no rollout, and exits 1', async () => {
    const server = await serve(noRollouts);
    const res = await handoff(['rollout', 'promote', 'arena'], { url: server.url });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error ROLLOUT_NOT_FOUND: fleet arena has no rollout');
  });
});

describe('errors and exit codes', () => {
  const inProgress = { error: { code: 'ROLLOUT_IN_PROGRESS', message: 'The fleet already has a rollout in progress', retryable: false } };

  it('prints an API error as CODE: message on stderr and exits 1', async () => {
    const server = await serve({ 'POST /v1/rollouts': { status: 409, body: inProgress } });
    const res = await handoff(['rollout', 'start', 'arena', '--build', 'arena-2'], { url: server.url });
    expect(res).toEqual({ code: 1, stdout: '', stderr: 'error ROLLOUT_IN_PROGRESS: The fleet already has a rollout in progress\n' });
  });

  it('prints the error body itself with --json', async () => {
    const server = await serve({ 'POST /v1/rollouts': { status: 409, body: inProgress } });
    const res = await handoff(['rollout', 'start', 'arena', '--build', 'arena-2', '--json'], { url: server.url });
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout)).toEqual(inProgress);
  });

  it('exits 2 on a usage error without sending a request', async () => {
    const server = await serve({});
    const res = await handoff(['rollout', 'start', 'arena', '--build', 'b', '--drain-deadline', 'soon'], { url: server.url });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--drain-deadline: "soon" is not a duration');
    expect(res.stderr).toContain('handoff rollout start --help');
    expect(server.requests).toEqual([]);
  });

  it('explains that the server cannot be reached, and exits 1', async () => {
    const url = await closedPortUrl();
    const res = await handoff(['get', 'fleets'], { url });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`cannot reach the Handoff server at ${url} (is \`handoff server\` running?)`);
  });

  it('prints per-command help on stdout and exits 0', async () => {
    const res = await handoff(['allocate', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Usage: handoff allocate FLEET --player ID/);
  });
});

describe('bin/handoff', () => {
  it('runs through a symlink from anywhere, finding the checkout behind the link', async () => {
    const link = join(workDir, 'handoff-link');
    await symlink(bin, link);
    const res = await handoff(['version'], { command: link });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toMatch(/^handoff \d+\.\d+\.\d+/);
  });
});
