import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HandoffError } from '../core/errors.js';
import { HandoffSdk } from './client.js';
import { SdkEndpoint } from './endpoint.js';
import { SDK_PREFIX, type Notice } from './protocol.js';
import { SdkError } from './sdk-error.js';
import { FakeBackend, Inbox } from './testing/fake-backend.js';

let backend: FakeBackend;
let endpoint: SdkEndpoint;
let sdk: HandoffSdk;
const closers: Array<{ close(): void }> = [];

beforeEach(async () => {
  backend = new FakeBackend();
  endpoint = await SdkEndpoint.start({ backend });
  sdk = new HandoffSdk({ url: endpoint.url, token: 'token-a', serverId: 'gs-a' });
});

afterEach(async () => {
  for (const c of closers.splice(0)) c.close();
  await endpoint.close();
});

function watch(client: HandoffSdk, errors?: Inbox<unknown>): Inbox<Notice> {
  const inbox = new Inbox<Notice>();
  closers.push(client.watch(inbox.push, { onError: errors?.push }));
  return inbox;
}

const drain: Notice = { type: 'drain', reason: 'release arena-2', deadline: 1_700_000_600_000, at: 1_700_000_000_000 };
const maintenance: Notice = { type: 'maintenance', message: 'Back in 10 minutes', startsAt: null, at: 1_700_000_000_001 };
const closed: Notice = { type: 'sessions-closed', players: ['p1'], reason: 'migrated', at: 1_700_000_000_002 };

describe('watch', () => {
  it('delivers the notices of its own server in the order the backend sends them', async () => {
    const inbox = watch(sdk);
    const other = watch(new HandoffSdk({ url: endpoint.url, token: 'token-b', serverId: 'gs-b' }));
    expect(await backend.subscriptions.take(2)).toEqual(expect.arrayContaining(['+gs-a', '+gs-b']));

    backend.notify('gs-a', maintenance);
    backend.notify('gs-b', { type: 'shutdown', graceMs: 5_000, at: 1 });
    backend.notify('gs-a', drain);
    backend.notify('gs-a', closed);

    expect(await inbox.take(3)).toEqual([maintenance, drain, closed]);
    expect(await other.next()).toEqual({ type: 'shutdown', graceMs: 5_000, at: 1 });
  });

  it('replays a standing drain as soon as the game server subscribes', async () => {
    backend.notify('gs-a', drain);
    const inbox = watch(sdk);
    expect(await inbox.next()).toEqual(drain);
  });

  it('resumes after the endpoint is closed and started again on the same port, replaying the standing drain', async () => {
    const errors = new Inbox<unknown>();
    const inbox = watch(sdk, errors);
    expect(await backend.subscriptions.next()).toBe('+gs-a');
    backend.notify('gs-a', drain);
    expect(await inbox.next()).toEqual(drain);

    const port = endpoint.port;
    await endpoint.close();
    expect(await backend.subscriptions.next()).toBe('-gs-a');
    expect(await errors.next()).toBeInstanceOf(SdkError);

    endpoint = await SdkEndpoint.start({ backend, port });
    expect(await backend.subscriptions.next()).toBe('+gs-a');
    expect(await inbox.next()).toEqual(drain);
    backend.notify('gs-a', maintenance);
    expect(await inbox.next()).toEqual(maintenance);
  });

  it('reports the roster the client tracked each time the watch (re)connects', async () => {
    await sdk.sessionStarted('p1');
    await sdk.sessionStarted('p2');
    watch(sdk);
    expect(await backend.rosterReports.next()).toEqual({ serverId: 'gs-a', players: ['p1', 'p2'], sessions: { p1: 's-p1', p2: 's-p2' } });

    // Off the roster as soon as the end is reported, before it is even delivered.
    const ended = sdk.sessionEnded('p1', 'ended', { sessionId: 's-p1' });
    expect(sdk.players()).toEqual(['p2']);
    await ended;
    const port = endpoint.port;
    await endpoint.close();
    endpoint = await SdkEndpoint.start({ backend, port });
    expect(await backend.rosterReports.next()).toEqual({ serverId: 'gs-a', players: ['p2'], sessions: { p2: 's-p2' } });
  });

  it('keeps a player on the roster when a late end report is about an older session', async () => {
    await sdk.sessionStarted('p1');
    await sdk.sessionEnded('p1', 'ended', { sessionId: 's-older' });
    expect(sdk.players()).toEqual(['p1']);
  });

  it('stops reporting rosters to a control plane that does not know them, and says so once', async () => {
    backend.failNext('reportRoster', new HandoffError('ROUTE_NOT_FOUND'));
    const errors = new Inbox<unknown>();
    const inbox = watch(sdk, errors);
    expect(await errors.next()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    const port = endpoint.port;
    await endpoint.close();
    expect(await errors.next()).toBeInstanceOf(SdkError);
    endpoint = await SdkEndpoint.start({ backend, port });
    expect(await backend.subscriptions.take(3)).toEqual(['+gs-a', '-gs-a', '+gs-a']);
    // A notice through the new stream proves the client saw the reconnect (and would report by now).
    backend.notify('gs-a', maintenance);
    expect(await inbox.next()).toEqual(maintenance);
    await sdk.health();
    expect(backend.log.filter((c) => c.method === 'reportRoster')).toHaveLength(1);
  });

  it('unsubscribes from the backend when the game server stops watching', async () => {
    const stop = sdk.watch(() => undefined);
    expect(await backend.subscriptions.next()).toBe('+gs-a');
    stop.close();
    expect(await backend.subscriptions.next()).toBe('-gs-a');
  });

  it('ends open watch streams when the endpoint closes', async () => {
    const res = await fetch(`${endpoint.url}${SDK_PREFIX}/watch`, { headers: { authorization: 'Bearer token-a' } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(endpoint.watchCount).toBe(1);

    await endpoint.close();
    expect(await res.text()).toBe(': connected\n\n');
    expect(endpoint.watchCount).toBe(0);
    expect(backend.log.filter((c) => c.method === 'subscribe')).toHaveLength(1);
  });

  it('sends a ping comment at the configured interval', async () => {
    const pinging = await SdkEndpoint.start({ backend, pingIntervalMs: 5 });
    const controller = new AbortController();
    try {
      const res = await fetch(`${pinging.url}${SDK_PREFIX}/watch`, { headers: { authorization: 'Bearer token-a' }, signal: controller.signal });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let seen = '';
      while (!seen.includes(': ping\n\n')) seen += (await reader.read()).value ?? '';
    } finally {
      controller.abort();
      await pinging.close();
    }
  });

  it('refuses a watch with an unknown token and reports it to onError', async () => {
    const errors = new Inbox<unknown>();
    watch(new HandoffSdk({ url: endpoint.url, token: 'stolen', serverId: 'gs-a' }), errors);
    expect(await errors.next()).toMatchObject({ code: 'SDK_UNAUTHORIZED', status: 401 });
    expect(backend.log).toEqual([]);
  });

  it('reports a throwing notice handler and keeps delivering', async () => {
    const errors = new Inbox<unknown>();
    const seen = new Inbox<Notice>();
    closers.push(
      sdk.watch(
        (n) => {
          seen.push(n);
          if (n.type === 'drain') throw new Error('handler bug');
        },
        { onError: errors.push },
      ),
    );
    expect(await backend.subscriptions.next()).toBe('+gs-a');
    backend.notify('gs-a', drain);
    backend.notify('gs-a', maintenance);
    expect(await seen.take(2)).toEqual([drain, maintenance]);
    expect(await errors.next()).toMatchObject({ message: 'handler bug' });
  });
});
