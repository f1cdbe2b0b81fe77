import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiError, ConnectionError } from './client.js';
import { closedPortUrl, startFixtureServer, type FixtureServer } from './fixture-server.js';

const servers: FixtureServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(routes: Parameters<typeof startFixtureServer>[0]): Promise<FixtureServer> {
  const server = await startFixtureServer(routes);
  servers.push(server);
  return server;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('ApiClient', () => {
  it('returns parsed JSON and the raw text, and sends only the query parameters that are set', async () => {
    const server = await serve({ 'GET /v1/fleets': { body: { items: [{ name: 'arena' }] } } });
    const res = await new ApiClient(`${server.url}/`).get('/v1/fleets', { fleet: 'a b', limit: 5, all: undefined });
    expect(res).toEqual({ status: 200, data: { items: [{ name: 'arena' }] }, text: '{"items":[{"name":"arena"}]}', url: server.url });
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/v1/fleets', query: { fleet: 'a b', limit: '5' } });
  });

  it('posts JSON with a content type', async () => {
    const server = await serve({ 'POST /v1/allocations': { status: 201, body: { sessionId: 's' } } });
    await new ApiClient(server.url).post('/v1/allocations', { fleet: 'arena' });
    expect(server.requests[0]?.body).toEqual({ fleet: 'arena' });
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('turns an error body into an ApiError with its code, message and body', async () => {
    const body = { error: { code: 'FLEET_NOT_FOUND', message: 'No fleet named x', retryable: false } };
    const server = await serve({ 'GET /v1/fleets/x': { status: 404, body } });
    const error = await caught(new ApiClient(server.url).get('/v1/fleets/x'));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'FLEET_NOT_FOUND', message: 'No fleet named x', body });
  });

  it('still reports an error whose body is not ours, such as a proxy page', async () => {
    const server = await serve({ 'GET /v1/fleets': { status: 502, raw: '<html>Bad Gateway</html>' } });
    const error = await caught(new ApiClient(server.url).get('/v1/fleets'));
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502', message: '<html>Bad Gateway</html>' });
  });

  it('rejects a successful answer that is not JSON', async () => {
    const server = await serve({ 'GET /v1/fleets': { status: 200, raw: 'hello' } });
    expect(await caught(new ApiClient(server.url).get('/v1/fleets'))).toMatchObject({ code: 'INVALID_RESPONSE' });
  });

  it('says the server cannot be reached, and why, when nothing listens', async () => {
    const url = await closedPortUrl();
    const error = await caught(new ApiClient(url).get('/v1/fleets'));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({
      message: `cannot reach the Handoff server at ${url} (is \`handoff server\` running?)`,
      detail: 'ECONNREFUSED',
    });
  });
});
