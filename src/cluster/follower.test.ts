import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { followerHandler, followerUpgrade } from './follower.js';
import type { ClusterView } from './model.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const view = (leader: { id: string; url: string } | null): ClusterView => ({
  store: 'postgres', lease: 'control-plane', leader, epoch: 4, leaseExpiresAt: 0, self: 'b', items: [],
});

describe('a follower replica', () => {
  it('forwards a write to the leader, body and path included, and answers with what the leader answered', async () => {
    let seen: { method?: string; url?: string; host?: string; by?: string; body: string } = { body: '' };
    const leader = await listen((req: IncomingMessage, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => {
        seen = { method: req.method, url: req.url, host: req.headers.host, by: req.headers['x-handoff-forwarded-by'] as string, body };
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"sessionId":"ses_1"}');
      });
    });
    const follower = await listen(followerHandler({ self: 'b', view: () => Promise.resolve(view({ id: 'a', url: leader })) }));

    const res = await fetch(`${follower}/v1/allocations?x=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"fleet":"arena"}' });
    expect([res.status, await res.json()]).toEqual([201, { sessionId: 'ses_1' }]);
    expect(seen).toEqual({ method: 'POST', url: '/v1/allocations?x=1', host: new URL(leader).host, by: 'b', body: '{"fleet":"arena"}' });
  });

  it.each([
    ['no replica holds the lease', null],
    ['the leader does not answer', { id: 'a', url: 'http://127.0.0.1:1' }],
  ])('answers 503 NO_LEADER with Retry-After when %s', async (_why, leader) => {
    const follower = await listen(followerHandler({ self: 'b', view: () => Promise.resolve(view(leader)) }));
    const res = await fetch(`${follower}/v1/allocations`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NO_LEADER');
  });

  it('answers the cluster view itself', async () => {
    const follower = await listen(followerHandler({ self: 'b', view: () => Promise.resolve(view(null)) }));
    expect(await (await fetch(`${follower}/v1/cluster`)).json()).toMatchObject({ self: 'b', epoch: 4, leader: null });
  });

  it('forwards GET /v1/hosts to the leader even when it serves other reads itself (hosts live in the leader\'s memory)', async () => {
    const leader = await listen((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ from: 'leader', url: req.url })));
    const reads = () => Promise.resolve({ handler: (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(200).end('{"from":"follower"}'), loadedAt: 0 });
    const follower = await listen(followerHandler({ self: 'b', view: () => Promise.resolve(view({ id: 'a', url: leader })), reads }));
    expect(await (await fetch(`${follower}/v1/hosts`)).json()).toEqual({ from: 'leader', url: '/v1/hosts' });
    expect(await (await fetch(`${follower}/v1/hosts/h1`)).json()).toEqual({ from: 'leader', url: '/v1/hosts/h1' });
    expect(await (await fetch(`${follower}/v1/fleets`)).json()).toEqual({ from: 'follower' });
  });

  it.each([
    ['names the leader when one leads', { id: 'a', url: 'http://10.0.0.1:7350' }, 'http://10.0.0.1:7350'],
    ['names none between leaders', null, undefined],
  ])('refuses an agent\'s WebSocket upgrade with 503 NO_LEADER and %s', async (_why, leader, named) => {
    const server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', followerUpgrade({ self: 'b', view: () => Promise.resolve(view(leader)) }));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/hosts/h1/agent`);
    const answer = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString())).on('end', () => resolve({ status: res.statusCode, body }));
      });
      ws.on('open', () => reject(new Error('a follower took the upgrade')));
      ws.on('error', () => undefined);
    });
    ws.terminate();
    expect(answer.status).toBe(503);
    const error = (JSON.parse(answer.body) as { error: { code: string; details: { leader?: string; replica: string } } }).error;
    expect(error.code).toBe('NO_LEADER');
    expect(error.details.leader).toBe(named);
    expect(error.details.replica).toBe('b');
  });
});
