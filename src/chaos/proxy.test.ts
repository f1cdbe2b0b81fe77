import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy, parseFault } from './proxy.js';

const local = { host: '127.0.0.1', port: 0 };

async function echoServer(): Promise<net.Server> {
  const s = net.createServer((c) => c.pipe(c));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return s;
}

/** Sends `text` and resolves with the echo and how long it took, or null when nothing came back in `waitMs`. */
function roundTrip(sock: net.Socket, text: string, waitMs = 2000): Promise<{ text: string; ms: number } | null> {
  return new Promise((resolve) => {
    const start = Date.now();
    const timer = setTimeout(() => { sock.off('data', on); resolve(null); }, waitMs);
    const on = (d: Buffer) => { clearTimeout(timer); sock.off('data', on); resolve({ text: d.toString(), ms: Date.now() - start }); };
    sock.on('data', on);
    sock.write(text);
  });
}

describe('the fault-injecting TCP proxy', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });
  async function setup(): Promise<{ proxy: FaultProxy; sock: net.Socket }> {
    const echo = await echoServer();
    closers.push(() => new Promise<void>((r) => echo.close(() => r())));
    const proxy = await FaultProxy.start(local, { host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port }, local);
    closers.push(() => proxy.close());
    const sock = net.connect(proxy.address.port, '127.0.0.1');
    sock.on('error', () => undefined);
    closers.push(() => void sock.destroy());
    await new Promise((r) => sock.once('connect', r));
    return { proxy, sock };
  }

  it('forwards both ways untouched when no fault is set', async () => {
    const { sock } = await setup();
    expect((await roundTrip(sock, 'hello'))?.text).toBe('hello');
  });

  it('holds each chunk for the latency in each direction, in order', async () => {
    const { proxy, sock } = await setup();
    const res = await fetch(`${proxy.controlUrl}/fault`, { method: 'PUT', body: JSON.stringify({ latencyMs: 150 }) });
    expect(await res.json()).toMatchObject({ latencyMs: 150, drop: false, connections: 1 });
    const r = await roundTrip(sock, 'slow');
    expect(r?.text).toBe('slow');
    expect(r?.ms).toBeGreaterThanOrEqual(290);
  });

  it('discards traffic under drop, and closes the damaged connection when the drop is lifted', async () => {
    const { proxy, sock } = await setup();
    proxy.setFault({ latencyMs: 0, drop: true });
    expect(await roundTrip(sock, 'lost', 300)).toBeNull();
    const closed = new Promise((r) => sock.once('close', r));
    await fetch(`${proxy.controlUrl}/fault`, { method: 'PUT', body: JSON.stringify({ drop: false }) });
    await closed;
    const fresh = net.connect(proxy.address.port, '127.0.0.1');
    closers.push(() => void fresh.destroy());
    await new Promise((r) => fresh.once('connect', r));
    expect((await roundTrip(fresh, 'back'))?.text).toBe('back');
  });

  it('refuses a malformed fault with a coded error and keeps the current one', async () => {
    const { proxy } = await setup();
    const res = await fetch(`${proxy.controlUrl}/fault`, { method: 'PUT', body: JSON.stringify({ latency: 5 }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(proxy.status()).toMatchObject({ latencyMs: 0, drop: false });
  });
});

describe('parseFault', () => {
  it.each([
    ['{"latencyMs":10}', { latencyMs: 10, drop: false }],
    ['{"drop":true}', { latencyMs: 0, drop: true }],
    ['{}', { latencyMs: 0, drop: false }],
    ['{"latencyMs":-1}', 'latencyMs must be a number of ms, 0 to 600000'],
    ['{"drop":"yes"}', 'drop must be true or false'],
    ['[1]', 'send { "latencyMs": number, "drop": boolean }'],
    ['nope', 'the body is not JSON'],
  ])('%s → %j', (text, want) => {
    expect(parseFault(text)).toEqual(want);
  });
});
