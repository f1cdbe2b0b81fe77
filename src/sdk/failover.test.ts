/**
 * The SDK across a change of leader: several SDK endpoints in HANDOFF_SDK_URL, followers that
 * forward to the leader's (the real follower handler) or answer NO_LEADER during a take-over.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { followerSdkHandler } from '../cluster/follower.js';
import type { ClusterView } from '../cluster/model.js';
import { closedPortUrl } from '../cli/fixture-server.js';
import { HandoffSdk } from './client.js';
import { SdkEndpoint } from './endpoint.js';
import { SDK_PROTOCOL_HEADER, SDK_PROTOCOL_VERSION, type Notice } from './protocol.js';
import { FakeBackend, Inbox } from './testing/fake-backend.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function endpoint(backend = new FakeBackend()): Promise<{ url: string; backend: FakeBackend; close: () => Promise<void> }> {
  const ep = await SdkEndpoint.start({ backend });
  let closed = false;
  const close = async () => { if (!closed) { closed = true; await ep.close(); } };
  closers.push(close);
  return { url: ep.url, backend, close };
}

/** A follower's SDK endpoint (cluster/follower.ts) whose idea of the leader the test sets. */
async function follower(leaderSdkUrl: () => string | null): Promise<string> {
  const view = async (): Promise<ClusterView> => {
    const sdkUrl = leaderSdkUrl();
    return { store: 'postgres', lease: 'control-plane', leader: sdkUrl ? { id: 'a', url: 'http://a', sdkUrl } : null, epoch: 1, leaseExpiresAt: null, self: 'b', items: [] };
  };
  const server: Server = createServer(followerSdkHandler({ self: 'b', view, headers: { [SDK_PROTOCOL_HEADER]: String(SDK_PROTOCOL_VERSION) } }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const sdkFor = (url: string, opts: Partial<ConstructorParameters<typeof HandoffSdk>[0]> = {}) =>
  new HandoffSdk({ url, token: 'token-a', serverId: 'gs-a', log: () => undefined, retryWindowMs: 5_000, ...opts });

describe('the SDK with several control-plane replicas', () => {
  it('reads every replica from a comma-separated HANDOFF_SDK_URL and reaches the one that answers', async () => {
    const ep = await endpoint();
    const sdk = HandoffSdk.fromEnv({ HANDOFF_SDK_URL: `${await closedPortUrl()},${ep.url}`, HANDOFF_TOKEN: 'token-a', HANDOFF_SERVER_ID: 'gs-a', HANDOFF_PORTS: '{}', HANDOFF_ADDRESS: '127.0.0.1' });
    await sdk.ready();
    expect(ep.backend.log.map((c) => c.method)).toEqual(['ready']);
  });

  it('reads every replica from HANDOFF_SDK_URLS when HANDOFF_SDK_URL holds the first alone (a build that declares no list)', async () => {
    const ep = await endpoint();
    const first = await closedPortUrl();
    const sdk = HandoffSdk.fromEnv({ HANDOFF_SDK_URL: first, HANDOFF_SDK_URLS: `${first},${ep.url}`, HANDOFF_TOKEN: 'token-a', HANDOFF_SERVER_ID: 'gs-a', HANDOFF_PORTS: '{}', HANDOFF_ADDRESS: '127.0.0.1' });
    await sdk.ready();
    expect(ep.backend.log.map((c) => c.method)).toEqual(['ready']);
  });

  it('sends a call through a follower, which forwards it to the leader\'s SDK endpoint', async () => {
    const leader = await endpoint();
    const sdk = sdkFor(await follower(() => leader.url));
    const view = await sdk.sessionStarted('p1', 'tok');
    expect(view).toMatchObject({ playerId: 'p1' });
    expect(leader.backend.log.map((c) => c.method)).toEqual(['sessionStarted']);
  });

  it('retries a session start refused with NO_LEADER on the next replica: nothing was applied', async () => {
    const leader = await endpoint();
    const sdk = sdkFor(`${await follower(() => null)},${leader.url}`);
    await sdk.sessionStarted('p1', 'tok');
    expect(leader.backend.log.map((c) => c.method)).toEqual(['sessionStarted']);
  });

  it('keeps a session end through a take-over and delivers it once a leader answers', async () => {
    const leader = await endpoint();
    let current: string | null = null;
    const sdk = sdkFor(await follower(() => current), { deliveryWindowMs: 30_000 });
    const ended = sdk.sessionEnded('p1', 'ended', { sessionId: 'ses-1' });
    await new Promise((r) => setTimeout(r, 300));
    expect(leader.backend.log).toEqual([]);
    current = leader.url;
    await ended;
    expect(leader.backend.log.map((c) => [c.method, c.args[0]])).toEqual([['sessionEnded', 'p1']]);
  });

  it('does not take a follower\'s NO_LEADER for an endpoint too old for newer calls', async () => {
    const leader = await endpoint();
    let current: string | null = null;
    const sdk = sdkFor(await follower(() => current), { retryWindowMs: 200 });
    await expect(sdk.health()).rejects.toMatchObject({ code: 'NO_LEADER' });
    current = leader.url;
    sdk.metric('tick_ms', 5);
    await sdk.flushMetrics();
    expect(leader.backend.log.map((c) => c.method)).toEqual(['reportMetrics']);
  });

  it('keeps metric reports no control plane took and sends them with the next batch', async () => {
    const leader = await endpoint();
    let current: string | null = null;
    const sdk = sdkFor(await follower(() => current), { metricsIntervalMs: 60_000 });
    sdk.metric('desyncs', 2, { kind: 'counter' });
    await sdk.flushMetrics();
    current = leader.url;
    sdk.metric('desyncs', 3, { kind: 'counter' });
    await sdk.flushMetrics();
    const sent = leader.backend.log.filter((c) => c.method === 'reportMetrics').flatMap((c) => c.args[0] as { value: number }[]);
    expect(sent.map((r) => r.value)).toEqual([2, 3]);
  });

  it('reconnects its watch to another replica when the one it watched dies, and reports the roster there', async () => {
    const first = await endpoint();
    const second = await endpoint();
    const sdk = sdkFor(`${first.url},${second.url}`);
    const notices = new Inbox<Notice>();
    const watch = sdk.watch(notices.push);
    closers.push(async () => watch.close());
    await first.backend.subscriptions.next();
    await first.close();
    expect(await second.backend.subscriptions.next()).toBe('+gs-a');
    second.backend.notify('gs-a', { type: 'drain', reason: 'release', deadline: null } as unknown as Notice);
    expect((await notices.next()).type).toBe('drain');
  });
});
