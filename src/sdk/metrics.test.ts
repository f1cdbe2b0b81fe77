import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HandoffSdk } from './client.js';
import { SdkEndpoint } from './endpoint.js';
import { MetricBatcher } from './metrics.js';
import type { MetricReport } from './protocol.js';
import { FakeBackend, Inbox } from './testing/fake-backend.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function sdkOnEndpoint(): Promise<{ backend: FakeBackend; sdk: HandoffSdk; logs: Inbox<string> }> {
  const backend = new FakeBackend();
  const endpoint = await SdkEndpoint.start({ backend });
  closers.push(() => endpoint.close());
  const logs = new Inbox<string>();
  return { backend, logs, sdk: new HandoffSdk({ url: endpoint.url, token: 'token-a', serverId: 'gs-a', log: logs.push, metricsIntervalMs: 60_000 }) };
}

const reportsOf = (backend: FakeBackend): MetricReport[][] =>
  backend.log.filter((c) => c.method === 'reportMetrics').map((c) => c.args[0] as MetricReport[]);

describe('sdk.metric', () => {
  it('sends a chatty game\'s reports as one batch: counters summed, gauges at their last value, samples each', async () => {
    const { backend, sdk } = await sdkOnEndpoint();
    for (let i = 0; i < 60; i++) {
      sdk.metric('tick_ms', i, { kind: 'sample' });
      sdk.metric('desyncs', 1, { kind: 'counter', sessionId: 'ses-1' });
      sdk.metric('players', i, { kind: 'gauge' });
    }
    await sdk.flushMetrics();
    const batches = reportsOf(backend);
    expect(batches).toHaveLength(1);
    const batch = batches[0] ?? [];
    expect(batch.filter((r) => r.name === 'tick_ms')).toHaveLength(60);
    expect(batch.filter((r) => r.name !== 'tick_ms')).toEqual([
      { name: 'desyncs', value: 60, kind: 'counter', sessionId: 'ses-1' },
      { name: 'players', value: 59, kind: 'gauge', sessionId: null },
    ]);
  });

  it('bounds what waits between sends: a flood makes a few full batches, never one per report', async () => {
    const { backend, sdk } = await sdkOnEndpoint();
    for (let i = 0; i < 5_000; i++) sdk.metric('tick_ms', i);
    await sdk.flushMetrics();
    const batches = reportsOf(backend);
    expect(batches.length).toBeLessThanOrEqual(5);
    expect(batches.every((b) => b.length <= 1_000)).toBe(true);
  });

  it('refuses a name the control plane would refuse, at the call', async () => {
    const { sdk } = await sdkOnEndpoint();
    expect(() => sdk.metric('Tick Time', 1)).toThrow(/not allowed/);
  });
});

describe('MetricBatcher', () => {
  it('drops reports beyond its bound and says how many', async () => {
    const sent: MetricReport[][] = [];
    const logs: string[] = [];
    let release = (): void => undefined;
    const b = new MetricBatcher({ intervalMs: 60_000, maxBuffered: 3, log: (m) => logs.push(m), supported: () => true,
      send: (m) => (sent.push(m), new Promise((r) => (release = () => r(undefined)))) });
    for (let i = 0; i < 3; i++) b.add('x', i, 'sample', null); // full: sent at once, and held in flight
    for (let i = 0; i < 5; i++) b.add('x', i, 'sample', null); // 3 wait, 2 dropped
    release();
    const done = b.flush();
    await new Promise((r) => setImmediate(r));
    release();
    await done;
    expect(sent.map((s) => s.length)).toEqual([3, 3]);
    expect(logs.join('\n')).toMatch(/2 metric report\(s\) dropped/);
  });
});

/** An endpoint that speaks protocol 3: it has no metrics route and knows no `error` reason. */
async function protocol3Endpoint(): Promise<{ url: string; bodies: { path: string; body: string }[] }> {
  const bodies: { path: string; body: string }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', body });
      const known = ['/sdk/v1/ready', '/sdk/v1/sessions/ended'].includes(req.url ?? '');
      res.writeHead(known ? 204 : 404, { 'handoff-sdk-protocol': '3', ...(known ? {} : { 'content-type': 'application/json' }) });
      res.end(known ? undefined : JSON.stringify({ error: { code: 'ROUTE_NOT_FOUND', message: 'No such route', retryable: false } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

describe('a new SDK against a protocol 3 control plane', () => {
  it('reports an `error` end as `disconnected` and keeps its metrics to itself', async () => {
    const old = await protocol3Endpoint();
    const logs: string[] = [];
    const sdk = new HandoffSdk({ url: old.url, token: 't', serverId: 'gs', log: (m) => logs.push(m), metricsIntervalMs: 60_000 });
    await sdk.ready();
    await sdk.sessionEnded('p1', 'error');
    sdk.metric('tick_ms', 5);
    await sdk.flushMetrics();
    expect(old.bodies.map((b) => b.path)).toEqual(['/sdk/v1/ready', '/sdk/v1/sessions/ended']);
    expect(JSON.parse(old.bodies[1]?.body ?? '{}')).toEqual({ playerId: 'p1', reason: 'disconnected' });
    expect(logs.join('\n')).toMatch(/too old to take metrics/);
  });
});
