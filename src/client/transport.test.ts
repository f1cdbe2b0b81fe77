import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPortUrl } from '../cli/fixture-server.js';
import { ApiError, ConnectionError } from './errors.js';
import { FailoverTransport, type RetryNotice } from './transport.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
});

/** A real HTTP server whose n-th request (from 0) is answered by `handler`. */
async function serve(handler: Handler): Promise<{ url: string; requests: { method: string; headers: IncomingMessage['headers'] }[] }> {
  const requests: { method: string; headers: IncomingMessage['headers'] }[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push({ method: req.method ?? '', headers: req.headers });
      handler(req, res, requests.length - 1);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const noLeader = { error: { code: 'NO_LEADER', message: 'no leader', retryable: true } };

function transport(urls: string[], sleeps: number[], notices: RetryNotice[] = []): FailoverTransport {
  return new FailoverTransport(urls, {
    retry: { budgetMs: 10_000 },
    sleep: async (ms) => { sleeps.push(ms); },
    random: () => 0.5,
    onRetry: (n) => notices.push(n),
  });
}

describe('FailoverTransport', () => {
  it('moves past a replica that refuses connections to one that answers, and keeps using it', async () => {
    const dead = await closedPortUrl();
    const alive = await serve((_q, res) => json(res, 201, { sessionId: 's1' }));
    const sleeps: number[] = [];
    const t = transport([dead, alive.url], sleeps);
    const res = await t.request<{ sessionId: string }>({ method: 'POST', path: '/v1/allocations', body: {} });
    expect(res).toMatchObject({ status: 201, data: { sessionId: 's1' }, url: alive.url });
    expect(sleeps).toEqual([]); // no wait: the next replica is tried at once
    await t.request({ method: 'GET', path: '/v1/fleets' });
    expect(alive.requests).toHaveLength(2);
    expect(t.url).toBe(alive.url);
  });

  it('retries NO_LEADER on the next replica after the Retry-After delay', async () => {
    const follower = await serve((_q, res) => json(res, 503, noLeader, { 'retry-after': '1' }));
    const leader = await serve((_q, res) => json(res, 201, { ok: true }));
    const sleeps: number[] = [];
    const notices: RetryNotice[] = [];
    const res = await transport([follower.url, leader.url], sleeps, notices).request({ method: 'POST', path: '/v1/apply', body: {} });
    expect(res.url).toBe(leader.url);
    expect(sleeps).toEqual([1_000]);
    expect(notices[0]).toMatchObject({ url: follower.url, failure: { kind: 'answered', code: 'NO_LEADER', retryAfterMs: 1_000 } });
  });

  it('retries an overloaded replica (429) with one URL, waiting as long as it asks', async () => {
    const one = await serve((_q, res, n) => (n < 2 ? json(res, 429, { error: { code: 'OVERLOADED', message: 'busy', retryable: true } }, { 'retry-after': '2' }) : json(res, 200, { ok: true })));
    const sleeps: number[] = [];
    await transport([one.url], sleeps).request({ method: 'GET', path: '/v1/fleets' });
    expect(sleeps).toEqual([2_000, 2_000]);
    expect(one.requests).toHaveLength(3);
  });

  it('fails at once with the API\'s code when the request itself is refused', async () => {
    const one = await serve((_q, res) => json(res, 404, { error: { code: 'FLEET_NOT_FOUND', message: 'no fleet', retryable: false } }));
    const other = await serve((_q, res) => json(res, 200, {}));
    const error = await transport([one.url, other.url], []).request({ method: 'GET', path: '/v1/fleets/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'FLEET_NOT_FOUND', retryable: false });
    expect(other.requests).toHaveLength(0);
  });

  it('does not repeat a write without an idempotency key when the connection broke mid-request', async () => {
    const breaks = await serve((req) => req.socket.destroy());
    const other = await serve((_q, res) => json(res, 201, {}));
    const error = await transport([breaks.url, other.url], []).request({ method: 'POST', path: '/v1/rollouts', body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(other.requests).toHaveLength(0);
  });

  it('repeats a write with an idempotency key, with the same key, when the connection broke mid-request', async () => {
    const breaks = await serve((req) => req.socket.destroy());
    const other = await serve((_q, res) => json(res, 201, { sessionId: 's' }));
    const res = await transport([breaks.url, other.url], []).request({ method: 'POST', path: '/v1/allocations', body: {}, headers: { 'idempotency-key': 'k-1' } });
    expect(res.status).toBe(201);
    expect(breaks.requests[0]?.headers['idempotency-key']).toBe('k-1');
    expect(other.requests[0]?.headers['idempotency-key']).toBe('k-1');
  });

  it('gives up with ConnectionError naming every replica once the budget is spent', async () => {
    const [a, b] = [await closedPortUrl(), await closedPortUrl()];
    let clock = 0;
    const t = new FailoverTransport([a, b], { retry: { budgetMs: 1_000 }, now: () => clock, sleep: async (ms) => { clock += ms; }, random: () => 0 });
    const error = await t.request({ method: 'GET', path: '/v1/fleets' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ detail: 'ECONNREFUSED', message: `cannot reach the Handoff server at ${a}, ${b} (is \`handoff server\` running?)` });
    expect(clock).toBeLessThanOrEqual(1_000);
    expect(clock).toBeGreaterThan(0);
  });
});
