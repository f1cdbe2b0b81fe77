/**
 * The durability promise on PostgreSQL, with a real `handoff server --store postgres://…`
 * process: every allocation it acknowledged is still there after it is killed with SIGKILL in
 * the middle of a stream of allocations and restarted — the same promise SQLite keeps
 * (src/store/sqlite/sqlite-store.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ControlPlane } from '../e2e/support/control-plane.js';
import { fixtureBuild, fleetSpec, freePort, waitFor, type Json } from '../support/control-plane.js';
import { describePg, dropDatabase, freshDatabase } from '../support/postgres.js';

describePg('a control plane on PostgreSQL killed with SIGKILL under allocation load', () => {
  let url = '';
  let dataDir = '';
  let cp: ControlPlane | undefined;
  beforeAll(async () => {
    url = await freshDatabase('kill9');
    dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-pg-kill9-'));
    cp = await ControlPlane.start({
      dataDir, port: await freePort(), sdkPort: await freePort(), portRange: { from: 44_600, to: 44_639 },
      // Shutdown at the end stops the game servers the restarted control plane re-adopted.
      extraArgs: ['--store', url, '--stop-servers-on-exit'],
    });
  });
  afterAll(async () => {
    await cp?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (url) await dropDatabase(url);
  });

  const call = async (method: string, route: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${cp?.url}${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  it('has every acknowledged allocation after the restart', async () => {
    if (!cp) throw new Error('no control plane');
    expect((await call('POST', '/v1/apply', {
      builds: [fixtureBuild('v1', [], 1_000)],
      fleets: [fleetSpec('arena', 'v1', { minServers: 2, maxServers: 2 })],
    })).status).toBe(200);
    await waitFor(async () => (await call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready === 2, 'two Ready servers');

    const acked: string[] = [];
    let stop = false;
    const client = async (c: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await call('POST', '/v1/allocations', { fleet: 'arena', playerId: `c${c}-p${i}` });
          if (r.status === 201) acked.push(r.body.sessionId as string);
        } catch {
          return; // The control plane is gone: whatever was not answered was never promised.
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    await waitFor(() => acked.length >= 150, '150 acknowledged allocations', 30_000);
    await cp.kill9();
    stop = true;
    await Promise.all(clients);
    expect(acked.length).toBeGreaterThanOrEqual(150);
    expect(acked.length, 'one page of the sessions API holds them all').toBeLessThan(1000);

    // Straight from the database, before anything could rewrite it.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const stored = new Set((await db.query<{ id: string }>('SELECT id FROM sessions WHERE open = 1')).rows.map((r) => r.id));
    await db.end();
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);

    await cp.restart();
    const open = (await call('GET', '/v1/sessions?fleet=arena&open=true&limit=1000')).body.items as Json[];
    const served = new Set(open.map((s) => s.id as string));
    expect(acked.filter((id) => !served.has(id))).toEqual([]);
    // And it serves again.
    expect((await call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'after-restart' })).status).toBe(201);
  });
});
