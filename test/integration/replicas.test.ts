/**
 * Replicas with fenced leadership, as real `handoff server --store postgres://…` processes
 * sharing one database: one leads, the other forwards to it and shows the cluster; a leader
 * frozen with SIGSTOP past its lease is replaced, and when it wakes it writes nothing — not
 * even the request it had already accepted — because its commits carry a stale epoch.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ControlPlane, repoRoot } from '../e2e/support/control-plane.js';
import { freePort, waitFor, type Json } from '../support/control-plane.js';
import { describePg, dropDatabase, freshDatabase } from '../support/postgres.js';

const build = (id: string) => ({ id, version: '1.0.0', launch: { executable: 'mmo-server', args: ['--sim-start-latency-ms=10-50'] }, sessionsPerServer: 4 });

async function call(base: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${base}${route}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describePg('replicas sharing one PostgreSQL store', () => {
  let url = '';
  let root = '';
  const planes: ControlPlane[] = [];
  const replica = async (id: string, role: 'leader' | 'follower'): Promise<ControlPlane> => {
    const cp = await ControlPlane.start({
      dataDir: path.join(root, id), port: await freePort(), sdkPort: await freePort(), portRange: { from: 44_700 + planes.length * 20, to: 44_719 + planes.length * 20 }, role,
      extraArgs: ['--store', url, '--replica-id', id, '--lease-ttl', '1.5', '--runtime', 'simulated'],
    });
    planes.push(cp);
    return cp;
  };
  beforeAll(async () => {
    url = await freshDatabase('replicas');
    root = mkdtempSync(path.join(tmpdir(), 'handoff-replicas-'));
  });
  afterAll(async () => {
    for (const cp of planes) {
      if (cp.pid) process.kill(cp.pid, 'SIGCONT');
      await cp.stop();
    }
    if (root) rmSync(root, { recursive: true, force: true });
    if (url) await dropDatabase(url);
  });

  it('elects one leader, forwards a follower\'s writes and allocations to it, serves reads on the follower, and shows both with the epoch', async () => {
    const a = await replica('a', 'leader');
    const b = await replica('b', 'follower');
    const view = await waitFor(async () => {
      const v = (await call(b.url, 'GET', '/v1/cluster')).body;
      return v.items.length === 2 ? v : null;
    }, 'both replicas in the cluster view');
    expect(view).toMatchObject({ store: 'postgres', lease: 'control-plane', leader: { id: 'a', url: a.url }, self: 'b' });
    expect(view.epoch).toBeGreaterThanOrEqual(1);
    expect(view.items.map((r: Json) => [r.id, r.role])).toEqual([['a', 'leader'], ['b', 'follower']]);
    expect((await call(a.url, 'GET', '/v1/cluster')).body).toMatchObject({ leader: { id: 'a' }, epoch: view.epoch, self: 'a' });

    const cli = spawnSync(path.join(repoRoot, 'bin/handoff'), ['--server', b.url, 'get', 'cluster'], { encoding: 'utf8' });
    expect(cli.stdout).toContain(`leader a, epoch ${view.epoch}`);
    expect(cli.stdout).toMatch(/b\s+follower/);

    // Through the follower: the leader applies, runs the fleet and allocates.
    const applied = await call(b.url, 'POST', '/v1/apply', {
      builds: [build('v1')],
      fleets: [{ name: 'arena', build: 'v1', capacity: { minServers: 1, maxServers: 2, bufferServers: 0, idleTimeoutSeconds: 600 } }],
    }).catch((e: unknown) => {
      throw new Error(`the follower did not forward the apply: ${String(e)}\n${a.recentOutput()}\n${b.recentOutput()}`);
    });
    expect(applied.status).toBe(200);
    await waitFor(async () => (await call(b.url, 'GET', '/v1/fleets/arena')).body.status?.serversByState?.Ready >= 1, 'a Ready server');
    const allocated = await call(b.url, 'POST', '/v1/allocations', { fleet: 'arena', playerId: 'through-b' });
    expect(allocated.status).toBe(201);
    expect((await call(a.url, 'GET', `/v1/sessions/${allocated.body.sessionId}`)).body).toMatchObject({ playerId: 'through-b' });
    // Reads the follower answers itself, from the shared store, within a second of the commit.
    const read = await waitFor(async () => {
      const res = await fetch(`${b.url}/v1/sessions/${allocated.body.sessionId}`);
      return res.status === 200 ? res : null;
    }, 'the follower to serve the new session');
    expect(read.headers.get('x-handoff-served-by')).toBe('b');
    expect(Number(read.headers.get('x-handoff-state-age-ms'))).toBeLessThanOrEqual(1_000);
    expect(await read.json()).toMatchObject({ playerId: 'through-b' });
  }, 60_000);

  it('replaces a leader frozen past its lease, and the old leader writes nothing when it wakes', async () => {
    const [a, b] = planes;
    if (!a?.pid || !b) throw new Error('the first test starts the replicas');
    const before = (await call(b.url, 'GET', '/v1/cluster')).body.epoch as number;

    process.kill(a.pid, 'SIGSTOP');
    await waitFor(() => b.recentOutput().includes('leader with epoch'), 'b to take the lease', 20_000);
    const after = (await call(b.url, 'GET', '/v1/cluster')).body;
    expect(after).toMatchObject({ leader: { id: 'b' }, epoch: before + 1 });

    // Accepted by the frozen leader's kernel; handled the moment it wakes, before it can notice
    // that its lease is gone: only the epoch check in the database stands in the way.
    const stale = call(a.url, 'POST', '/v1/apply', { builds: [build('written-by-a-stale-leader')], fleets: [] }).catch((e: unknown) => ({ status: 0, body: String(e) }));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(a.pid, 'SIGCONT');
    const answer = await stale;
    expect(answer.status === 0 || answer.body?.error?.code === 'STORE_FENCED', JSON.stringify(answer)).toBe(true);
    await waitFor(() => !a.running, 'the old leader to exit', 10_000);
    expect(a.recentOutput()).toMatch(/code=75/);

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      expect((await db.query("SELECT id FROM builds WHERE id = 'written-by-a-stale-leader'")).rows).toEqual([]);
    } finally {
      await db.end();
    }
    // The new leader serves, and still knows what the old one wrote under its own epoch.
    let last: Json;
    await waitFor(async () => (last = await call(b.url, 'POST', '/v1/allocations', { fleet: 'arena', playerId: 'after-failover' })).status === 201, 'an allocation on the new leader')
      .catch((e: unknown) => {
        throw new Error(`${String(e)}; last answer ${JSON.stringify(last)}\n${b.recentOutput()}`);
      });
  }, 60_000);
});
