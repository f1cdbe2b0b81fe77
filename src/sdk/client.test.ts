import { createServer, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HandoffError } from '../core/errors.js';
import { HandoffSdk } from './client.js';
import { SdkEndpoint } from './endpoint.js';
import { SdkError } from './sdk-error.js';
import { rejection } from './testing/rejection.js';
import { FakeBackend, Inbox } from './testing/fake-backend.js';

const env = {
  HANDOFF_SDK_URL: 'http://127.0.0.1:7351',
  HANDOFF_TOKEN: 'token-a',
  HANDOFF_SERVER_ID: 'gs-a',
  HANDOFF_PORTS: '{"game":7777,"query":7778}',
  HANDOFF_ADDRESS: '10.0.0.5',
};


/** Holds `port` while the endpoint is down, cutting every connection, so a test knows an attempt failed. */
async function cutConnections(port: number): Promise<{ attempts: Inbox<void>; close: () => Promise<void> }> {
  const attempts = new Inbox<void>();
  const server: Server = createServer((socket) => {
    socket.destroy();
    attempts.push();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { attempts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('HandoffSdk.fromEnv', () => {
  it('reads the server id, ports and address the control plane sets', () => {
    const sdk = HandoffSdk.fromEnv(env);
    expect(sdk.serverId).toBe('gs-a');
    expect(sdk.address).toBe('10.0.0.5');
    expect(sdk.ports).toEqual({ game: 7777, query: 7778 });
    expect(sdk.port('query')).toBe(7778);
  });

  it.each(Object.keys(env))('names %s when it is missing', (name) => {
    expect(() => HandoffSdk.fromEnv({ ...env, [name]: undefined })).toThrow(name);
  });

  it.each(['not json', '[7777]', '{"game":"7777"}', '{"game":70000}'])('refuses HANDOFF_PORTS=%s', (ports) => {
    expect(() => HandoffSdk.fromEnv({ ...env, HANDOFF_PORTS: ports })).toThrow('HANDOFF_PORTS');
  });

  it('refuses a HANDOFF_SDK_URL that is not a URL', () => {
    expect(() => HandoffSdk.fromEnv({ ...env, HANDOFF_SDK_URL: '127.0.0.1:7351' })).toThrow('HANDOFF_SDK_URL');
  });
});

describe('HandoffSdk.port', () => {
  it('throws for a port name the build does not declare, listing the known ones', () => {
    const sdk = HandoffSdk.fromEnv(env);
    expect(() => sdk.port('voice')).toThrow(/"voice".*game, query/);
  });
});

describe('SdkError.fromResponse', () => {
  it('keeps the code, status, retryable flag and details of an error body', async () => {
    const body = { error: { code: 'NO_CAPACITY', message: 'full', retryable: true, details: { fleet: 'arena' } } };
    const e = await SdkError.fromResponse(new Response(JSON.stringify(body), { status: 503 }));
    expect([e.code, e.status, e.retryable, e.message, e.details]).toEqual(['NO_CAPACITY', 503, true, 'full', { fleet: 'arena' }]);
  });

  it('turns a code it does not know into UNEXPECTED_RESPONSE and keeps the raw code', async () => {
    const body = { error: { code: 'FROM_THE_FUTURE', message: 'new', retryable: false } };
    const e = await SdkError.fromResponse(new Response(JSON.stringify(body), { status: 409 }));
    expect([e.code, e.status, e.details]).toEqual(['UNEXPECTED_RESPONSE', 409, { code: 'FROM_THE_FUTURE' }]);
  });

  it('turns a body without an error object into UNEXPECTED_RESPONSE, retryable for 5xx', async () => {
    const e = await SdkError.fromResponse(new Response('Bad Gateway', { status: 502 }));
    expect([e.code, e.status, e.retryable]).toEqual(['UNEXPECTED_RESPONSE', 502, true]);
  });
});

describe('HandoffSdk retries', () => {
  let backend: FakeBackend;
  let endpoint: SdkEndpoint;
  let sdk: HandoffSdk;
  let logs: Inbox<string>;

  beforeEach(async () => {
    backend = new FakeBackend();
    logs = new Inbox<string>();
    endpoint = await SdkEndpoint.start({ backend });
    sdk = new HandoffSdk({ url: endpoint.url, token: 'token-a', serverId: 'gs-a', log: logs.push });
  });

  afterEach(async () => {
    await endpoint.close();
  });

  it('retries an idempotent call through a control-plane restart', async () => {
    // Node's fetch can hang on the very first request of a process whose socket is cut at once
    // (a lazy-initialisation quirk of undici, not of the endpoint): warm it up first.
    await fetch(`${endpoint.url}/`);
    const port = endpoint.port;
    await endpoint.close();
    const down = await cutConnections(port);
    const ready = sdk.ready();
    await down.attempts.next();
    await down.close();
    endpoint = await SdkEndpoint.start({ backend, port });
    await ready;
    expect(backend.log).toEqual([{ method: 'ready', serverId: 'gs-a', args: [] }]);
  });

  it('retries an idempotent call that got a retryable error response', async () => {
    backend.failNext('ready', new HandoffError('SHUTTING_DOWN'));
    await sdk.ready();
    expect(backend.log.map((c) => c.method)).toEqual(['ready', 'ready']);
  });

  it('does not repeat a session call that got an error response, even a retryable one', async () => {
    backend.failNext('sessionStarted', new HandoffError('STORE_UNAVAILABLE'));
    const e = await rejection(sdk.sessionStarted('p1'));
    expect([e.code, e.retryable]).toEqual(['STORE_UNAVAILABLE', true]);
    expect(backend.log).toHaveLength(1);
  });

  it('retries a session call whose connection failed', async () => {
    const port = endpoint.port;
    await endpoint.close();
    const down = await cutConnections(port);
    const started = sdk.sessionStarted('p1');
    await down.attempts.next();
    await down.close();
    endpoint = await SdkEndpoint.start({ backend, port });
    expect((await started).sessionId).toBe('s-p1');
  });

  it('gives up with CONNECTION_FAILED once the retry window is spent', async () => {
    const port = endpoint.port;
    await endpoint.close();
    const impatient = new HandoffSdk({ url: `http://127.0.0.1:${port}`, token: 'token-a', serverId: 'gs-a', retryWindowMs: 100 });
    const e = await rejection(impatient.self());
    expect([e.code, e.status, e.retryable]).toEqual(['CONNECTION_FAILED', 0, true]);
    expect(e.message).toContain(`127.0.0.1:${port}`);
  });

  it('keeps pinging health through an outage, logging the first failure and the recovery once each', async () => {
    const port = endpoint.port;
    await endpoint.close();
    const stop = sdk.startHealth(5);
    try {
      expect(await logs.next()).toMatch(/health ping failed.*Cannot reach/);
      endpoint = await SdkEndpoint.start({ backend, port });
      expect(await logs.next()).toMatch(/recovered after \d+ failure/);
      expect((await backend.calls.next()).method).toBe('health');
    } finally {
      stop();
    }
  });
});
