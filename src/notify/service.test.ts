import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { event, type Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { Notifier, type NotifierOptions } from './service.js';
import { verify } from './signature.js';

interface Received {
  body: string;
  event: string | undefined;
  delivery: string | undefined;
  signed: boolean;
}

/** A real receiver: verifies every signature, answers 500 to the first `failFirst` requests. */
async function receiver(secret: string, clock: FakeClock, failFirst: number): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const signed = verify(secret, body, req.headers['handoff-signature'] as string | undefined ?? null, clock.now());
      got.push({ body, event: req.headers['handoff-event'] as string | undefined, delivery: req.headers['handoff-delivery'] as string | undefined, signed });
      res.statusCode = !signed ? 401 : got.length <= failFirst ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, got, server };
}

const options: NotifierOptions = { intervalMs: 1_000, policy: { baseMs: 1_000, maxMs: 60_000, maxAttempts: 5 }, timeoutMs: 5_000, random: () => 0, onError: (e) => { throw e; } };

describe('webhook delivery', () => {
  let dir: string;
  let clock: FakeClock;
  let open: { store: SqliteStore; ctx: Ctx }[] = [];
  let server: Server | null = null;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'handoff-notify-'));
    clock = new FakeClock();
    open = [];
  });
  afterEach(async () => {
    server?.close();
    for (const o of open) await o.store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  async function plane(): Promise<Ctx> {
    const store = SqliteStore.open(path.join(dir, 'handoff.db'));
    const world = World.fromSnapshot(await store.load(clock.now()));
    const ctx: Ctx = { world, store, clock, persister: new Persister(store), notify: () => undefined };
    open.push({ store, ctx });
    return ctx;
  }

  it('signs each body, retries after failures on the back-off schedule, and logs every attempt', async () => {
    const r = await receiver('s3cret-s3cret', clock, 2);
    server = r.server;
    const ctx = await plane();
    const n = await Notifier.create(ctx, options);
    await n.apply([{ name: 'ops', url: r.url, events: ['started', 'completed'], secret: 's3cret-s3cret', format: 'json' }]);
    await ctx.persister.persist([
      event(clock.now(), 'arena', 'rollout.started', 'ro_1', 'blue-green release v1 → v2'),
      event(clock.now(), 'arena', 'server.started', 'srv_1', 'not a release event'),
      event(clock.now(), 'arena', 'rollout.paused', 'ro_1', 'filtered out by the subscription'),
    ]);

    await n.tick();
    expect(r.got).toHaveLength(1);
    // Attempt 1 failed: with the jitter draw 0 the next is half of base, 500 ms later; not before.
    clock.advance(499);
    await n.tick();
    expect(r.got).toHaveLength(1);
    clock.advance(1);
    await n.tick();
    expect(r.got).toHaveLength(2);
    clock.advance(1_000);
    await n.tick();
    expect(r.got).toHaveLength(3);
    expect(r.got.every((g) => g.signed && g.event === 'started' && g.delivery === r.got[0]?.delivery)).toBe(true);
    expect(new Set(r.got.map((g) => g.body)).size).toBe(1);
    expect(JSON.parse(r.got[0]?.body ?? '{}')).toMatchObject({ event: 'started', kind: 'rollout.started', fleet: 'arena', subject: 'ro_1' });

    const [d] = await n.deliveries('ops', 10);
    expect(d).toMatchObject({ state: 'delivered', event: 'started', nextAttemptAt: null });
    expect(d?.attempts.map((a) => a.status)).toEqual([500, 500, 204]);
    expect(await n.deliveries('ops', 10)).toHaveLength(1);
  });

  it('delivers after a restart what was enqueued before it', async () => {
    const r = await receiver('s3cret-s3cret', clock, 1);
    server = r.server;
    const first = await plane();
    const n1 = await Notifier.create(first, options);
    await n1.apply([{ name: 'ops', url: r.url, events: [], secret: 's3cret-s3cret', format: 'slack' }]);
    await first.persister.persist([event(clock.now(), 'arena', 'rollout.completed', 'ro_1', 'arena-v2 is the fleet\'s build')]);
    await n1.tick();
    expect(r.got).toHaveLength(1);
    await first.store.close();

    // A new control plane over the same file: the pending delivery and the cursor are durable.
    const second = await plane();
    const n2 = await Notifier.create(second, options);
    clock.advance(10_000);
    await n2.tick();
    expect(r.got).toHaveLength(2);
    expect(JSON.parse(r.got[1]?.body ?? '{}').text).toContain('release completed on arena');
    const [d] = await n2.deliveries('ops', 10);
    expect(d?.attempts.map((a) => a.status)).toEqual([500, 204]);
    // The cursor moved past the event: it is not enqueued again.
    await n2.tick();
    expect(await n2.deliveries('ops', 10)).toHaveLength(1);
  });

  it('marks a delivery failed when the attempts run out', async () => {
    const ctx = await plane();
    const n = await Notifier.create(ctx, { ...options, policy: { baseMs: 10, maxMs: 10, maxAttempts: 2 } });
    // Nothing listens on port 9 of loopback (discard): every attempt is refused.
    await n.apply([{ name: 'dead', url: 'http://127.0.0.1:9/hook', events: [], secret: 's3cret-s3cret', format: 'json' }]);
    await ctx.persister.persist([event(clock.now(), 'arena', 'rollout.aborted', 'ro_1', 'aborted by operator')]);
    await n.tick();
    clock.advance(10);
    await n.tick();
    const [d] = await n.deliveries('dead', 10);
    expect(d?.state).toBe('failed');
    expect(d?.attempts).toHaveLength(2);
    expect(d?.attempts[0]?.status).toBeNull();
  });
});
