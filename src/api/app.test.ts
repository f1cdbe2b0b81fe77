import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHandler, MAX_BODY_BYTES } from './app.js';
import { defineRoute } from './route.js';

const routes = [
  defineRoute({
    method: 'get', path: '/v1/things/{id}', tag: 't', role: 'viewer', summary: 'get', errors: [],
    params: z.object({ id: z.string() }), query: z.object({ n: z.coerce.number().default(1) }),
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
];

describe('the HTTP router', () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    server = createServer(createHandler(routes, [{ method: 'GET', path: '/healthz', handler: async () => ({ status: 200, contentType: 'text/plain', body: 'ok' }) }]));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const call = async (method: string, path: string, body?: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
    const res = await fetch(url + path, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type'), json: text.startsWith('{') ? JSON.parse(text) : text };
  };

  it('decodes path parameters and coerces query values by the schema', async () => {
    expect((await call('GET', '/v1/things/a%20b?n=3')).json).toEqual({ id: 'a b', n: 3 });
  });

  it('answers with the declared status and reads headers', async () => {
    const r = await call('POST', '/v1/things', '{"name":"x"}', { 'content-type': 'application/json', 'idempotency-key': 'k' });
    expect([r.status, r.json]).toEqual([201, { name: 'x', key: 'k' }]);
  });

  it('refuses a body over the limit with PAYLOAD_TOO_LARGE', async () => {
    const r = await call('POST', '/v1/things', JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES) }));
    expect([r.status, r.json.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('refuses a body that is not JSON by content type with UNSUPPORTED_MEDIA_TYPE', async () => {
    const r = await call('POST', '/v1/things', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect([r.status, r.json.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('names the failing field of a body that does not match the schema', async () => {
    const r = await call('POST', '/v1/things', '{"name":5}');
    expect(r.json.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('body.name') });
  });

  it('turns an unexpected failure into a coded 500 without leaking a stack', async () => {
    const r = await call('POST', '/v1/boom', '{}');
    expect([r.status, r.json.error.code]).toEqual([500, 'INTERNAL']);
    expect(JSON.stringify(r.json)).not.toContain('at ');
  });

  it('serves raw routes with their own content type', async () => {
    expect(await call('GET', '/healthz')).toMatchObject({ status: 200, type: 'text/plain', json: 'ok' });
  });

  it('tells an unknown path from a known path with another method', async () => {
    expect((await call('GET', '/v1/nope')).json.error.code).toBe('ROUTE_NOT_FOUND');
    expect((await call('DELETE', '/v1/things')).json.error.code).toBe('METHOD_NOT_ALLOWED');
  });
});
