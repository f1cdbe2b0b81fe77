/**
 * The control plane's side of hosts over real sockets: agents speak the protocol with a real
 * WebSocket client; refusals carry codes and leave the registry as it was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { AGENT_PROTOCOL_VERSION } from '../agent/protocol.js';
import type { HostRegistration } from '../hosts/model.js';
import { localEchoBuild } from '../runtime/local/testdata/echo-build.js';
import { startControlPlane, type ControlPlane } from './compose.js';

const BASE = 26_000 + (process.pid % 90) * 20;
const dir = mkdtempSync(path.join(tmpdir(), 'handoff-hosts-cp-'));
let cp: ControlPlane;

async function call<T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${cp.url}${p}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

function registration(id: string): HostRegistration {
  return { id, zone: 'z9', region: 'eu', publicAddress: '127.0.0.1', portRange: { from: 1, to: 2 }, capacity: { slots: 2, cpuMillis: null, memoryMb: null } };
}

/** Connects as host `id` with `token`, says hello listing `servers`; resolves with how it went. */
function agentHello(id: string, token: string, servers: string[] = []): Promise<{ welcomed: boolean; close?: { code: number; reason: string }; status?: number; code?: string; ws: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${cp.url.replace('http', 'ws')}/v1/hosts/${id}/agent`, { headers: { authorization: `Bearer ${token}` } });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ welcomed: false, status: res.statusCode, code: (JSON.parse(text || '{}') as { error?: { code?: string } }).error?.code, ws }));
    });
    ws.on('error', () => undefined);
    ws.on('open', () => ws.send(JSON.stringify({
      t: 'hello', protocol: AGENT_PROTOCOL_VERSION, host: registration(id),
      servers: servers.map((serverId) => ({ serverId, pid: 1, identity: 'x', address: '127.0.0.1', ports: {}, logPath: '' })),
    })));
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { t: string }).t === 'welcome') resolve({ welcomed: true, ws });
    });
    ws.on('close', (code, reason) => resolve({ welcomed: false, close: { code, reason: reason.toString() }, ws }));
  });
}

const token = async (id: string): Promise<string> => (await call<{ token: string }>('POST', `/v1/hosts/${id}/token`, {})).body.token;
const hostIds = async (): Promise<string[]> => (await call<{ items: { id: string }[] }>('GET', '/v1/hosts')).body.items.map((h) => h.id);

beforeAll(async () => {
  cp = await startControlPlane({ dataDir: dir, port: 0, sdkPort: 0, portRange: { from: BASE, to: BASE + 9 }, reconcileIntervalMs: 100 }, { log: () => undefined });
});

afterAll(async () => {
  await cp?.close({ stopServers: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('hosts on the control plane', () => {
  it('lists its own embedded host before any agent connects', async () => {
    const { body } = await call<{ items: { id: string; embedded: boolean; state: string }[] }>('GET', '/v1/hosts');
    expect(body.items).toMatchObject([{ id: 'local', embedded: true, state: 'Ready' }]);
  });

  it('registers an agent that presents its own token', async () => {
    const hello = await agentHello('h1', await token('h1'));
    expect(hello.welcomed).toBe(true);
    expect(await hostIds()).toEqual(['h1', 'local']);
    hello.ws.close();
  });

  it("refuses another host's token before the upgrade with HOST_TOKEN_INVALID, and records nothing", async () => {
    const hello = await agentHello('h2', await token('h1'));
    expect(hello).toMatchObject({ welcomed: false, status: 401, code: 'HOST_TOKEN_INVALID' });
    expect(await hostIds()).toEqual(['h1', 'local']);
  });

  it('refuses a hello that reports a game server running on another host, with HOST_SERVER_NOT_OWNED, and records nothing', async () => {
    const echo = localEchoBuild();
    const applied = await call('POST', '/v1/apply', {
      builds: [{ id: echo.id, version: echo.version, launch: { executable: echo.launch.executable, args: echo.launch.args }, ports: echo.ports, sessionsPerServer: 2 }],
      fleets: [{ name: 'echo', build: echo.id, capacity: { minServers: 1, maxServers: 1, bufferServers: 0 } }],
    });
    expect(applied.status).toBe(200);
    const serverId = await vi.waitFor(() => {
      const [s] = [...cp.world.servers.values()];
      if (!s) throw new Error('no server yet');
      return s.id;
    }, { timeout: 15_000 });
    const hello = await agentHello('h3', await token('h3'), [serverId]);
    expect(hello.welcomed).toBe(false);
    expect(hello.close?.code).toBe(4400);
    expect(hello.close?.reason).toMatch(/^HOST_SERVER_NOT_OWNED/);
    expect(await hostIds()).toEqual(['h1', 'local']);
  });

  it('answers HOST_NOT_FOUND for maintenance of an unknown host, and VALIDATION_FAILED for a malformed id', async () => {
    const missing = await call<{ error: { code: string } }>('POST', '/v1/hosts/nope/cordon', {});
    expect([missing.status, missing.body.error.code]).toEqual([404, 'HOST_NOT_FOUND']);
    const bad = await call<{ error: { code: string } }>('POST', '/v1/hosts/..bad%20id/drain', {});
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await hostIds()).toEqual(['h1', 'local']);
  });

  it('cordons and uncordons a host, keeping the change across the listing', async () => {
    expect((await call<{ state: string }>('POST', '/v1/hosts/h1/cordon', {})).body.state).toBe('Cordoned');
    const h1 = (await call<{ items: { id: string; schedule: string }[] }>('GET', '/v1/hosts')).body.items.find((h) => h.id === 'h1');
    expect(h1?.schedule).toBe('Cordoned');
    expect((await call<{ schedule: string }>('POST', '/v1/hosts/h1/uncordon', {})).body.schedule).toBe('Ready');
  });

  it('drains with a release\'s notice and deadline, and shows them with the host', async () => {
    const drained = await call<{ state: string; drain: unknown }>('POST', '/v1/hosts/h1/drain', { drain: { deadlineSeconds: 600, noticeLeadSeconds: 30 } });
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({ state: 'Draining', drain: { deadline: { deadlineSeconds: 600, noticeLeadSeconds: 30 }, noticeAt: null, closedAt: null } });
    const lead = await call<{ drain: unknown }>('POST', '/v1/hosts/h1/drain', { drain: { deadlineSeconds: 600 } });
    expect(lead.body).toMatchObject({ drain: { deadline: { deadlineSeconds: 600, noticeLeadSeconds: 60 } } });
    expect((await call<{ drain: unknown }>('POST', '/v1/hosts/h1/uncordon', {})).body.drain).toBeNull();
  });

  it.each<[string, string, unknown, number, string]>([
    ['a negative deadline', 'h1', { drain: { deadlineSeconds: -5 } }, 400, 'VALIDATION_FAILED'],
    ['a zero deadline', 'h1', { drain: { deadlineSeconds: 0 } }, 400, 'VALIDATION_FAILED'],
    ['a negative notice', 'h1', { drain: { deadlineSeconds: 60, noticeLeadSeconds: -1 } }, 400, 'VALIDATION_FAILED'],
    ['a duration that is not a number', 'h1', { drain: { deadlineSeconds: '10m' } }, 400, 'VALIDATION_FAILED'],
    ['a notice without a deadline', 'h1', { drain: { noticeLeadSeconds: 60 } }, 400, 'VALIDATION_FAILED'],
    ['an unknown field', 'h1', { deadline: 60 }, 400, 'UNKNOWN_FIELD'],
    ['an unknown host', 'nope', { drain: { deadlineSeconds: 60 } }, 404, 'HOST_NOT_FOUND'],
  ])('refuses a drain with %s (%s), leaving the host as it was', async (_name, id, body, status, code) => {
    const before = (await call<{ items: unknown[] }>('GET', '/v1/hosts')).body.items;
    const res = await call<{ error: { code: string } }>('POST', `/v1/hosts/${id}/drain`, body);
    expect([res.status, res.body.error.code]).toEqual([status, code]);
    expect((await call<{ items: unknown[] }>('GET', '/v1/hosts')).body.items).toEqual(before);
  });
});
