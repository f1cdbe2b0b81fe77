import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HandoffError } from '../core/errors.js';
import { createHandler, type RequestHandler } from './handler.js';
import { originPolicy } from './request-guard.js';
import { defineRoute, noContent, withStatus } from './route.js';

const LIMIT = 1024;
let release: () => void = () => undefined;
const gate = () => new Promise<void>((r) => (release = r));
let gateOpen: Promise<void> = Promise.resolve();
let pollersWaiting = 0;

const routes = [
  defineRoute({
    method: 'get', path: '/v1/things/{id}', tag: 't', role: 'viewer', summary: 'get', errors: [],
    params: z.object({ id: z.string().regex(/^[a-z]+$/) }), query: z.object({ n: z.coerce.number().default(1) }),
    response: z.object({ id: z.string(), n: z.number() }),
    handler: async ({ params, query }) => ({ id: params.id, n: query.n }),
  }),
  defineRoute({
    method: 'post', path: '/v1/things', tag: 't', role: 'operator', summary: 'post', errors: [], status: 201,
    body: z.object({ name: z.string() }), response: z.object({ name: z.string(), key: z.string().nullable() }),
    handler: async ({ body, headers }) => ({ name: body.name, key: headers.get('idempotency-key') }),
  }),
  defineRoute({
    method: 'post', path: '/v1/boom', tag: 't', role: 'operator', summary: 'fails', errors: [], response: z.object({}),
    handler: async () => {
      throw new Error('secret internals');
    },
  }),
  defineRoute({
    method: 'post', path: '/v1/sync-boom/{id}', tag: 't', role: 'operator', summary: 'fails synchronously', errors: [], response: z.object({}),
    params: z.object({ id: z.string() }),
    handler: () => {
      throw new TypeError('cannot read properties of undefined');
    },
  }),
  defineRoute({
    method: 'get', path: '/v1/full', tag: 't', role: 'viewer', summary: 'no capacity', errors: [], response: z.object({}),
    handler: () => {
      throw new HandoffError('NO_CAPACITY', undefined, undefined, { retryAfterSeconds: 7 });
    },
  }),
  defineRoute({
    method: 'post', path: '/v1/slow', tag: 't', role: 'operator', summary: 'waits for the test', errors: [], response: z.undefined(),
    handler: async () => (await gateOpen, noContent()),
  }),
  defineRoute({
    method: 'get', path: '/v1/poll', tag: 't', role: 'viewer', summary: 'a long poll that waits for the test', errors: [], response: z.object({ v: z.string() }), longPoll: true,
    handler: async ({ headers }) => {
      pollersWaiting += 1;
      await gateOpen;
      return headers.get('if-none-match') === '"1"' ? withStatus(304, undefined as unknown as { v: string }, { etag: '"1"' }) : withStatus(200, { v: '2' }, { etag: '"2"' });
    },
  }),
];

describe('the HTTP stack', () => {
  let server: Server;
  let handler: RequestHandler;
  let port = 0;
  let url = '';
  const unexpected: unknown[] = [];
  beforeAll(async () => {
    handler = createHandler(routes, {
      raw: [{ method: 'GET', path: '/healthz', handler: async () => ({ status: 200, contentType: 'text/plain', body: 'ok' }) }],
      maxBodyBytes: LIMIT,
      maxInFlight: 4,
      policy: originPolicy('127.0.0.1', ['lb.example.com'], ['https://ops.example.com']),
      onUnexpectedError: (e) => unexpected.push(e),
    });
    server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const call = async (method: string, path: string, body?: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
    const res = await fetch(url + path, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, type: res.headers.get('content-type'), json: text.startsWith('{') ? JSON.parse(text) : text };
  };
  /** A raw request: fetch would refuse to send a malformed URL or a forged Host. */
  const rawCall = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; code: string | undefined; headers: Record<string, unknown> }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, code: text.startsWith('{') ? JSON.parse(text).error?.code : undefined, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });

  it('decodes path parameters and coerces query values by the schema', async () => {
    expect((await call('GET', '/v1/things/ab?n=3')).json).toEqual({ id: 'ab', n: 3 });
  });

  it('answers with the declared status and reads headers', async () => {
    const r = await call('POST', '/v1/things', '{"name":"x"}', { 'content-type': 'application/json', 'idempotency-key': 'k' });
    expect([r.status, r.json]).toEqual([201, { name: 'x', key: 'k' }]);
  });

  it.each(['%', '%E0%A4%A', '%C0', '%ZZ', 'a%'])('answers a bad escape %s in a path parameter with MALFORMED_URL and keeps serving', async (bad) => {
    expect(await rawCall(`/v1/things/${bad}`)).toMatchObject({ status: 400, code: 'MALFORMED_URL' });
    expect((await call('GET', '/v1/things/ok')).status).toBe(200);
  });

  it('validates path parameters by the route declaration: a malformed id is a 400, not a 500', async () => {
    expect(await rawCall('/v1/things/..%2Fx')).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('refuses an absolute-form request target with MALFORMED_URL', async () => {
    expect(await rawCall('http://evil.example/v1/things/a')).toMatchObject({ status: 400, code: 'MALFORMED_URL' });
  });

  it('turns an unexpected failure, async or synchronous, into a coded 500 without leaking it, logs it and keeps serving', async () => {
    unexpected.length = 0;
    const a = await call('POST', '/v1/boom', '{}');
    const b = await call('POST', '/v1/sync-boom/x', '{}');
    for (const r of [a, b]) {
      expect([r.status, r.json.error.code]).toEqual([500, 'INTERNAL']);
      expect(JSON.stringify(r.json)).not.toMatch(/secret|undefined|at /);
      expect(r.json.error.details.errorId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(unexpected).toHaveLength(2);
    expect((await call('GET', '/v1/things/ok')).status).toBe(200);
  });

  it('refuses a body over the limit with PAYLOAD_TOO_LARGE and closes the connection', async () => {
    const r = await call('POST', '/v1/things', JSON.stringify({ name: 'x'.repeat(LIMIT) }));
    expect([r.status, r.json.error.code, r.headers.get('connection')]).toEqual([413, 'PAYLOAD_TOO_LARGE', 'close']);
  });

  it('closes the connection after a 413 even while the client is still sending', async () => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (c) => (received += c.toString()));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => undefined);
    socket.write(`POST /v1/things HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"name":"`);
    const filler = setInterval(() => socket.writable && socket.write('x'.repeat(1000)), 5);
    await closed;
    clearInterval(filler);
    expect(received).toMatch(/^HTTP\/1\.1 413/);
  });

  it.each([
    ['no content type', {}],
    ['text/plain;json', { 'content-type': 'text/plain;json' }],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['application/x-www-form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['multipart/form-data', { 'content-type': 'multipart/form-data; boundary=x' }],
    ['application/jsonp', { 'content-type': 'application/jsonp' }],
    ['a foreign charset', { 'content-type': 'application/json; charset=latin1' }],
  ])('refuses a body sent with %s with UNSUPPORTED_MEDIA_TYPE', async (_label, headers) => {
    const r = await call('POST', '/v1/things', '{"name":"x"}', headers as Record<string, string>);
    expect([r.status, r.json.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('accepts application/json with a utf-8 charset', async () => {
    expect((await call('POST', '/v1/things', '{"name":"x"}', { 'content-type': 'Application/JSON; charset="UTF-8"' })).status).toBe(201);
  });

  it('reads a body that starts with a UTF-8 byte-order mark as the JSON after it', async () => {
    const res = await fetch(`${url}/v1/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('\uFEFF{"name":"x"}', 'utf8') });
    expect(res.status).toBe(201);
  });

  it('refuses a body that is not valid UTF-8 with MALFORMED_JSON, even where the bad byte sits inside a JSON string', async () => {
    const res = await fetch(`${url}/v1/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat([Buffer.from('{"name":"x'), Buffer.from([0xff]), Buffer.from('"}')]) });
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([400, 'MALFORMED_JSON']);
  });

  it.each([
    ['a foreign Host (DNS rebinding)', { host: 'attacker.example' }, 'HOST_NOT_ALLOWED'],
    ['a foreign Host with our port', { host: 'attacker.example:80' }, 'HOST_NOT_ALLOWED'],
    ['a cross-origin page', { host: '127.0.0.1', origin: 'https://evil.example' }, 'ORIGIN_NOT_ALLOWED'],
    ['an opaque origin', { host: '127.0.0.1', origin: 'null' }, 'ORIGIN_NOT_ALLOWED'],
    ['a cross-site fetch without Origin', { host: '127.0.0.1', 'sec-fetch-site': 'cross-site' }, 'ORIGIN_NOT_ALLOWED'],
  ])('refuses %s with 403', async (_label, headers, code) => {
    expect(await rawCall('/v1/things/ab', headers)).toMatchObject({ status: 403, code });
  });

  it.each([
    ['localhost', { host: 'localhost:1' }],
    ['[::1]', { host: '[::1]:1' }],
    ['a configured name', { host: 'lb.example.com' }],
    ['a same-origin page', { host: 'localhost:7350', origin: 'http://localhost:7350' }],
  ])('answers a request addressed to %s', async (_label, headers) => {
    expect((await rawCall('/v1/things/ab', headers)).status).toBe(200);
  });

  it('answers an allowed origin with CORS headers, including its preflight', async () => {
    const pre = await rawCall('/v1/things', { host: '127.0.0.1', origin: 'https://ops.example.com', 'access-control-request-method': 'POST' }, 'OPTIONS');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://ops.example.com');
    expect(pre.headers['access-control-allow-headers']).toContain('content-type');
    const get = await rawCall('/v1/things/ab', { host: '127.0.0.1', origin: 'https://ops.example.com' });
    expect([get.status, get.headers['access-control-allow-origin']]).toEqual([200, 'https://ops.example.com']);
  });

  it('sheds requests over the in-flight limit at once with OVERLOADED and Retry-After, then recovers', async () => {
    gateOpen = gate();
    const slow = Array.from({ length: 4 }, () => call('POST', '/v1/slow'));
    try {
      // Wait for all four to be admitted (on a loaded machine they arrive over a while).
      for (let i = 0; i < 500 && handler.admission.current < 4; i++) await new Promise((r) => setTimeout(r, 10));
      expect(handler.admission.current).toBe(4);
      const shed = await call('GET', '/v1/things/ab');
      expect([shed.status, shed.json.error.code, shed.json.error.retryable, shed.headers.get('retry-after')]).toEqual([429, 'OVERLOADED', true, '1']);
      expect((await call('GET', '/healthz')).status).toBe(200);
    } finally {
      release();
    }
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([204, 204, 204, 204]);
    expect((await call('GET', '/v1/things/ab')).status).toBe(200);
    expect(handler.admission.current).toBe(0);
  });

  it('holds no admission slot for a long poll while it waits, and sends its headers with a bodiless 304', async () => {
    gateOpen = gate();
    const polls = [...Array.from({ length: 6 }, () => call('GET', '/v1/poll', undefined, { 'if-none-match': '"1"' })), call('GET', '/v1/poll')];
    try {
      for (let i = 0; i < 500 && pollersWaiting < 7; i++) await new Promise((r) => setTimeout(r, 10));
      expect(pollersWaiting).toBe(7);
      // Seven pollers wait past a limit of four, and ordinary requests still get in.
      expect((await call('GET', '/v1/things/ab')).status).toBe(200);
      expect(handler.admission.current).toBe(0);
    } finally {
      release();
    }
    const answers = await Promise.all(polls);
    expect(answers.slice(0, 6).map((r) => [r.status, r.headers.get('etag'), r.json])).toEqual(Array.from({ length: 6 }, () => [304, '"1"', '']));
    expect([answers[6]?.status, answers[6]?.headers.get('etag'), answers[6]?.json]).toEqual([200, '"2"', { v: '2' }]);
  });

  it("sends an error's retry hint as Retry-After", async () => {
    const r = await call('GET', '/v1/full');
    expect([r.status, r.json.error.code, r.headers.get('retry-after')]).toEqual([503, 'NO_CAPACITY', '7']);
  });

  it('keeps a pipelined connection open through shed answers: every request behind them is answered too', async () => {
    gateOpen = gate();
    const slow = Array.from({ length: 4 }, () => call('POST', '/v1/slow'));
    try {
      for (let i = 0; i < 500 && handler.admission.current < 4; i++) await new Promise((r) => setTimeout(r, 10));
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (c) => (received += c.toString()));
      socket.on('error', () => undefined);
      const one = 'POST /v1/things HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"name":"x"}';
      socket.write(one + one + one);
      for (let i = 0; i < 500 && (received.match(/HTTP\/1\.1 429/g) ?? []).length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      expect((received.match(/HTTP\/1\.1 429/g) ?? []).length).toBe(3);
      expect(received).not.toMatch(/connection: close/i);
      socket.destroy();
    } finally {
      release();
    }
    await Promise.all(slow);
  });

  it('serves raw routes with their own content type', async () => {
    expect(await call('GET', '/healthz')).toMatchObject({ status: 200, type: 'text/plain', json: 'ok' });
  });

  it('tells an unknown path from a known path with another method', async () => {
    expect((await call('GET', '/v1/nope')).json.error.code).toBe('ROUTE_NOT_FOUND');
    expect((await call('DELETE', '/v1/things')).json.error.code).toBe('METHOD_NOT_ALLOWED');
  });
});
