/**
 * Preferred regions end to end on real processes: the control plane's embedded host in eu-west
 * and one real `handoff agent` process on loopback in us-east, a fleet spread over both, players
 * allocated through the public client and the CLI with a region preference, and bad input
 * refused with codes and no state change.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startAgentProcess, type AgentProcess } from '../../src/agent/testing/agents.js';
import { HandoffClient } from '../../src/client/index.js';
import { startControlPlane, type ControlPlane } from '../../src/server/compose.js';
import { durableDigest, fixtureBuild, repoRoot, waitFor, type Json } from '../support/control-plane.js';

// Below the Linux ephemeral range; a block of its own per run (cp: +0..9, agent: +10..19).
const BASE = 33_000 + (process.pid % 50) * 20;
const dir = mkdtempSync(path.join(tmpdir(), 'handoff-regions-'));
let cp: ControlPlane;
let agent: AgentProcess | undefined;

async function call(method: string, route: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${cp.url}${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  cp = await startControlPlane(
    { dataDir: path.join(dir, 'cp'), port: 0, sdkPort: 0, portRange: { from: BASE, to: BASE + 9 }, cwd: repoRoot, reconcileIntervalMs: 100, hostId: 'cp', zone: 'eu-west-1a', region: 'eu-west' },
    { log: () => undefined, onFatal: () => undefined },
  );
  const { body } = await call('POST', '/v1/hosts/us1/token', {});
  agent = startAgentProcess([
    '--control-plane', cp.url, '--host-id', 'us1', '--zone', 'us-east-1a', '--region', 'us-east', '--public-address', '127.0.0.1',
    '--port-range', `${BASE + 10}-${BASE + 19}`, '--slots', '4', '--data-dir', path.join(dir, 'us1'), '--sdk-port', '0', '--heartbeat-ms', '500',
  ], body.token);
  await waitFor(async () => (await call('GET', '/v1/hosts/us1')).body?.state === 'Ready', `agent us1 registered: ${agent?.output() ?? ''}`, 60_000);
  // Two zones, spread: one server on each host.
  const applied = await call('POST', '/v1/apply', {
    builds: [fixtureBuild('v1', [], 4)],
    fleets: [{ name: 'arena', build: 'v1', capacity: { minServers: 2, maxServers: 2, bufferServers: 0 }, health: { timeoutSeconds: 30, startTimeoutSeconds: 60, stopGraceSeconds: 2 }, placement: { policy: 'spread' } }],
  });
  expect(applied.status).toBe(200);
  await waitFor(async () => (await call('GET', '/v1/servers?fleet=arena')).body.items.filter((s: Json) => s.state === 'Ready').length === 2, 'two Ready servers, one per host', 90_000);
}, 180_000);

afterAll(async () => {
  // The agent leaves its game servers running when it stops (by design): ended here by pid.
  const pids: number[] = cp ? (await call('GET', '/v1/servers')).body.items.map((s: Json) => s.pid).filter((p: unknown) => typeof p === 'number') : [];
  await cp?.close({ stopServers: true });
  await agent?.stop();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone (the embedded host's server was stopped by close).
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('allocation with a preferred region list', () => {
  it('places each player in their first preferred region that has room and reports it', async () => {
    const hosts = (await call('GET', '/v1/hosts')).body.items.map((h: Json) => [h.id, h.servers.length]);
    expect(Object.fromEntries(hosts)).toEqual({ cp: 1, us1: 1 });
    const client = new HandoffClient({ urls: cp.url });
    const us = await client.allocate({ fleet: 'arena', playerId: 'us-player', regions: ['us-east', 'eu-west'] });
    expect(us.server).toMatchObject({ region: 'us-east', zone: 'us-east-1a' });
    const eu = await client.allocate({ fleet: 'arena', playerId: 'eu-player', regions: ['ap-south', 'eu-west'] });
    expect(eu.server).toMatchObject({ region: 'eu-west', zone: 'eu-west-1a' });
    expect(us.server.id).not.toBe(eu.server.id);
  });

  it('answers a request without a preference as v0.1.0 did, with the chosen region added', async () => {
    const { status, body } = await call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'old-client' });
    expect(status).toBe(201);
    expect(Object.keys(body).sort()).toEqual(['fleet', 'joinToken', 'playerId', 'reconnected', 'server', 'sessionId']);
    expect(body.server).toMatchObject({ id: expect.any(String), build: 'v1', version: '1.0.0', address: '127.0.0.1', ports: { game: expect.any(Number) } });
    expect(['eu-west', 'us-east']).toContain(body.server.region);
  });

  it('prints the chosen region from handoff allocate --region', async () => {
    const { stdout } = await promisify(execFile)(BIN, ['allocate', 'arena', '--player', 'cli-player', '--region', 'us-east,eu-west', '--region-fallback', 'none'], { env: { ...process.env, HANDOFF_URL: cp.url } });
    expect(stdout).toContain('region   us-east (zone us-east-1a)');
  });

  it('starts the servers of a fleet limited to one zone only on that zone hosts', async () => {
    const spec = { name: 'us-only', build: 'v1', capacity: { minServers: 1, maxServers: 1, bufferServers: 0 }, placement: { policy: 'pack', zones: ['us-east-1a'] } };
    expect((await call('POST', '/v1/apply', { fleets: [spec] })).status).toBe(200);
    const [server] = await waitFor(async () => {
      const items = (await call('GET', '/v1/servers?fleet=us-only')).body.items;
      return items.length > 0 ? items : null;
    }, 'the us-only server', 60_000);
    const us1 = (await call('GET', '/v1/hosts/us1')).body;
    expect(us1.servers).toContain(server.id);
    expect((await call('GET', '/v1/fleets/us-only')).body.placement).toEqual({ policy: 'pack', zones: ['us-east-1a'] });
  });

  it('refuses malformed preferences and placements with coded 400s and changes nothing', async () => {
    const before = await durableDigest(cp);
    for (const body of [
      { fleet: 'arena', playerId: 'bad', regions: 'us-east' },
      { fleet: 'arena', playerId: 'bad', regions: [''] },
      { fleet: 'arena', playerId: 'bad', regionFallback: 'none' },
    ]) {
      const r = await call('POST', '/v1/allocations', body);
      expect([r.status, r.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    const placement = await call('POST', '/v1/apply', { fleets: [{ name: 'arena', build: 'v1', capacity: { minServers: 2, maxServers: 2, bufferServers: 0 }, placement: { policy: 'random' } }] });
    expect([placement.status, placement.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const unserved = await call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'bad', regions: ['ap-south'], regionFallback: 'none' });
    expect([unserved.status, unserved.body.error.code]).toEqual([422, 'REGION_NOT_SERVED']);
    expect(await durableDigest(cp)).toBe(before);
  });
});
