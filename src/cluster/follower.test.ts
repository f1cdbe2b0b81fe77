import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { followerHandler } from './follower.js';
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
});
