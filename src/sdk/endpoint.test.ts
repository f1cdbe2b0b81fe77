import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rawRequest } from '../../test/support/raw-http.js';
import { HandoffError } from '../core/errors.js';
import { HandoffSdk } from './client.js';
import { SdkEndpoint } from './endpoint.js';
import { SDK_PREFIX } from './protocol.js';
import { rejection } from './testing/rejection.js';
import { FakeBackend } from './testing/fake-backend.js';

let backend: FakeBackend;
let endpoint: SdkEndpoint;
let sdk: HandoffSdk;
const unexpected: unknown[] = [];

beforeEach(async () => {
  backend = new FakeBackend();
  unexpected.length = 0;
  endpoint = await SdkEndpoint.start({ backend, onUnexpectedError: (e) => unexpected.push(e) });
  sdk = new HandoffSdk({ url: endpoint.url, token: 'token-a', serverId: 'gs-a' });
});

afterEach(async () => {
  await endpoint.close();
});

/** A raw request, for what the typed client cannot send. */
function send(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const { token = 'token-a', ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  return fetch(endpoint.url + path, { ...rest, headers });
}

async function errorOf(res: Response): Promise<{ status: number; code: string; details?: unknown }> {
  const body = (await res.json()) as { error: { code: string; details?: unknown } };
  return { status: res.status, code: body.error.code, details: body.error.details };
}


describe('SdkEndpoint', () => {
  it('listens on loopback at an ephemeral port and reports its url', () => {
    expect(endpoint.port).toBeGreaterThan(0);
    expect(endpoint.url).toBe(`http://127.0.0.1:${endpoint.port}`);
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', 'example.com'])('refuses to listen on the non-loopback host %s', async (host) => {
    const e = await SdkEndpoint.start({ backend, host }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HandoffError);
    expect((e as HandoffError).code).toBe('VALIDATION_FAILED');
    expect((e as HandoffError).message).toContain('loopback');
  });

  it('accepts localhost and binds it to a loopback address', async () => {
    const local = await SdkEndpoint.start({ backend, host: 'localhost' });
    try {
      expect(local.url).toMatch(/^http:\/\/(127\.\d+\.\d+\.\d+|\[::1\]):\d+$/);
    } finally {
      await local.close();
    }
  });

  it('reports ready, health, capacity and shutdown to the backend under the server id of the token', async () => {
    await sdk.ready();
    await sdk.health();
    await sdk.setCapacity(3);
    await sdk.shutdown();
    const other = new HandoffSdk({ url: endpoint.url, token: 'token-b', serverId: 'gs-b' });
    await other.ready();
    expect(backend.log).toEqual([
      { method: 'ready', serverId: 'gs-a', args: [] },
      { method: 'health', serverId: 'gs-a', args: [] },
      { method: 'setCapacity', serverId: 'gs-a', args: [3] },
      { method: 'requestShutdown', serverId: 'gs-a', args: [] },
      { method: 'ready', serverId: 'gs-b', args: [] },
    ]);
  });

  it('confirms a connecting player and returns the session view', async () => {
    const view = await sdk.sessionStarted('p1', 'join-1');
    expect(view).toEqual({ sessionId: 's-p1', playerId: 'p1', partyId: null, attributes: { mode: 'duel' } });
    await sdk.sessionStarted('p2');
    expect(backend.log.map((c) => c.args)).toEqual([
      ['p1', 'join-1'],
      ['p2', null],
    ]);
  });

  it('passes the session id of an end report through, so only that session is closed', async () => {
    await sdk.sessionEnded('p1', 'ended', { sessionId: 's-p1' });
    expect(backend.log.map((c) => c.args)).toEqual([['p1', 'ended', 's-p1']]);
  });

  it('keeps delivering an end report while the endpoint restarts', async () => {
    const port = endpoint.port;
    await endpoint.close();
    const patient = new HandoffSdk({ url: `http://127.0.0.1:${port}`, token: 'token-a', serverId: 'gs-a', retryWindowMs: 100, deliveryWindowMs: 30_000 });
    const delivery = patient.sessionEnded('p1', 'ended', { sessionId: 's-p1' });
    // Longer than the ordinary retry window: only the delivery window keeps it alive.
    await new Promise((r) => setTimeout(r, 600));
    endpoint = await SdkEndpoint.start({ backend, port });
    await delivery;
    expect(backend.log.map((c) => c.args)).toEqual([['p1', 'ended', 's-p1']]);
  });

  it('passes the end reason through, defaulting to ended', async () => {
    await sdk.sessionEnded('p1');
    await sdk.sessionEnded('p2', 'disconnected');
    expect(backend.log.map((c) => c.args)).toEqual([
      ['p1', 'ended'],
      ['p2', 'disconnected'],
    ]);
  });

  it('passes a reported roster to the backend with the session ids the client knows', async () => {
    await sdk.sessionStarted('p1');
    await sdk.reportRoster();
    await sdk.reportRoster(['p1', 'p9']);
    expect(backend.log.filter((c) => c.method === 'reportRoster').map((c) => c.args)).toEqual([
      [['p1'], { p1: 's-p1' }],
      [['p1', 'p9'], { p1: 's-p1' }],
    ]);
  });

  it('refuses a roster that is not a list of player ids with VALIDATION_FAILED, and takes one without session ids', async () => {
    const put = (body: unknown) => send(`${SDK_PREFIX}/roster`, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(await errorOf(await put({ players: 'p1' }))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', details: { issues: [{ path: 'body.players' }] } });
    expect(await errorOf(await put({ players: [''] }))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(backend.log).toEqual([]);
    expect((await put({ players: ['p1'] })).status).toBe(204);
    expect(backend.rosters.get('gs-a')).toEqual({ players: ['p1'], sessions: {} });
  });

  it('returns the server as the backend sees it', async () => {
    expect(await sdk.self()).toMatchObject({ serverId: 'gs-a', fleet: 'arena', ports: { game: 7777 } });
  });

  it('answers an unknown or missing token with SDK_UNAUTHORIZED and never reaches the backend', async () => {
    const stranger = new HandoffSdk({ url: endpoint.url, token: 'nope', serverId: 'gs-a' });
    const e = await rejection(stranger.ready());
    expect([e.code, e.status, e.retryable]).toEqual(['SDK_UNAUTHORIZED', 401, false]);
    expect(await errorOf(await send(`${SDK_PREFIX}/self`, { token: null }))).toMatchObject({ status: 401, code: 'SDK_UNAUTHORIZED' });
    expect(await errorOf(await send(`${SDK_PREFIX}/self`, { headers: { authorization: 'Basic dG9rZW4tYQ==' }, token: null }))).toMatchObject({
      code: 'SDK_UNAUTHORIZED',
    });
    expect(backend.log).toEqual([]);
  });

  it('refuses malformed JSON with MALFORMED_JSON', async () => {
    const res = await send(`${SDK_PREFIX}/sessions/started`, { method: 'POST', body: '{"playerId":', headers: { 'content-type': 'application/json' } });
    expect(await errorOf(res)).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
    // An empty body reads as `{}`, as on the API: the missing field is named.
    expect(await errorOf(await send(`${SDK_PREFIX}/capacity`, { method: 'PUT' }))).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('refuses a body over 64 KiB with PAYLOAD_TOO_LARGE, whether its length is declared or streamed', async () => {
    const big = JSON.stringify({ playerId: 'p1', joinToken: 'x'.repeat(70 * 1024) });
    const declared = await send(`${SDK_PREFIX}/sessions/started`, { method: 'POST', body: big });
    expect(await errorOf(declared)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });

    const chunks = [big.slice(0, 40_000), big.slice(40_000)];
    const stream = new ReadableStream<Uint8Array>({
      pull: (c) => {
        const chunk = chunks.shift();
        if (chunk === undefined) c.close();
        else c.enqueue(new TextEncoder().encode(chunk));
      },
    });
    const streamed = await send(`${SDK_PREFIX}/sessions/started`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(await errorOf(streamed)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(backend.log).toEqual([]);
  });

  it('refuses wrong types with VALIDATION_FAILED naming the field', async () => {
    const e = await rejection(sdk.setCapacity(1.5));
    expect([e.code, e.status]).toEqual(['VALIDATION_FAILED', 400]);
    expect(e.details).toMatchObject({ issues: [{ path: 'body.capacity' }] });

    const wrongReason = await send(`${SDK_PREFIX}/sessions/ended`, { method: 'POST', body: JSON.stringify({ playerId: 'p1', reason: 'server_crashed' }) });
    expect(await errorOf(wrongReason)).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'body.reason' }] } });
    const noPlayer = await send(`${SDK_PREFIX}/sessions/started`, { method: 'POST', body: JSON.stringify({ playerId: 7 }) });
    expect(await errorOf(noPlayer)).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'body.playerId' }] } });
    expect(backend.log).toEqual([]);
  });

  it('reads the body as JSON whatever content type the game server declares', async () => {
    const res = await send(`${SDK_PREFIX}/capacity`, { method: 'PUT', body: '{"capacity":4}', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(204);
    expect(backend.log).toEqual([{ method: 'setCapacity', serverId: 'gs-a', args: [4] }]);
  });

  it('returns backend errors to the client as SdkError with their catalogue code', async () => {
    const notAllocated = await rejection(sdk.sessionStarted('stranger'));
    expect([notAllocated.code, notAllocated.status, notAllocated.retryable]).toEqual(['SESSION_NOT_ALLOCATED', 409, false]);
    expect(notAllocated.details).toEqual({ playerId: 'stranger' });
    expect((await rejection(sdk.sessionStarted('p1', 'forged'))).code).toBe('JOIN_TOKEN_INVALID');

    backend.failNext('ready', new HandoffError('SDK_INVALID_TRANSITION'));
    expect((await rejection(sdk.ready())).code).toBe('SDK_INVALID_TRANSITION');
  });

  it('hides an unexpected backend failure behind INTERNAL and reports it', async () => {
    backend.failNext('sessionEnded', new Error('disk on fire'));
    const e = await rejection(sdk.sessionEnded('p1'));
    expect([e.code, e.status]).toEqual(['INTERNAL', 500]);
    expect(unexpected).toHaveLength(1);
  });

  it('answers an unknown route with ROUTE_NOT_FOUND and a wrong method with METHOD_NOT_ALLOWED', async () => {
    expect(await errorOf(await send(`${SDK_PREFIX}/teleport`, { method: 'POST' }))).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
    expect(await errorOf(await send('/v1/fleets'))).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
    expect(await errorOf(await send(`${SDK_PREFIX}/ready`))).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
  });

  it('answers with its protocol version, serves older and newer clients, and refuses a malformed version', async () => {
    for (const header of [null, '1', '2', '3', '99']) {
      const res = await send(`${SDK_PREFIX}/health`, { method: 'POST', headers: header === null ? {} : { 'handoff-sdk-protocol': header } });
      expect([header, res.status, res.headers.get('handoff-sdk-protocol')]).toEqual([header, 204, '4']);
    }
    for (const header of ['0', 'abc', '2.1', '-1']) {
      const res = await send(`${SDK_PREFIX}/health`, { method: 'POST', headers: { 'handoff-sdk-protocol': header } });
      expect(await errorOf(res)).toMatchObject({ status: 400, code: 'SDK_PROTOCOL_UNSUPPORTED' });
    }
  });

  it('survives malformed escapes, forged hosts and cross-origin pages with coded answers', async () => {
    const auth = { authorization: 'Bearer token-a' };
    expect((await rawRequest(endpoint.url, 'GET', `${SDK_PREFIX}/%ZZ`, auth)).body.error.code).toBe('ROUTE_NOT_FOUND');
    expect((await rawRequest(endpoint.url, 'GET', `${SDK_PREFIX}/self`, { ...auth, host: 'attacker.example' })).body.error.code).toBe('HOST_NOT_ALLOWED');
    expect((await rawRequest(endpoint.url, 'POST', `${SDK_PREFIX}/ready`, { ...auth, origin: 'https://evil.example' })).body.error.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(backend.log).toEqual([]);
  });
});
