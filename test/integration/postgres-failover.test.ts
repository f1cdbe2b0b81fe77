/**
 * Database failover (issue 9, point 5) with real PostgreSQL servers: a primary and a synchronous
 * streaming standby (`pg_basebackup -R`), Handoff given both in one multi-host URL with
 * `target_session_attrs=read-write`. Under a stream of allocations the primary is stopped
 * (`pg_ctl stop -m immediate`) and the standby promoted (`pg_ctl promote`). The replica's
 * commit in flight fails and is not acknowledged; it exits 75, its supervisor (here: this test)
 * restarts it, it chooses the promoted standby and allocates again. Every allocation it
 * acknowledged, before or after, is in the new primary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane } from '../e2e/support/control-plane.js';
import { fixtureBuild, fleetSpec, freePort, waitFor, type Json } from '../support/control-plane.js';
import { createDatabase, findPostgresBin } from '../support/postgres-cluster.js';
import { startPostgresPair, type PostgresPair } from '../support/postgres-pair.js';

const bin = findPostgresBin();
const suite = bin ? describe : describe.skip;

suite(`a replica whose PostgreSQL primary fails over to a promoted standby${bin ? '' : ' (skipped: no PostgreSQL binaries)'}`, () => {
  let pair: PostgresPair | undefined;
  let dataDir = '';
  let cp: ControlPlane | undefined;
  let supervising = true;
  let restarts = 0;

  beforeAll(async () => {
    if (!bin) return;
    pair = await startPostgresPair(bin);
    await createDatabase(pair.url('primary'), 'handoff');
    dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-pg-failover-'));
    cp = await ControlPlane.start({
      dataDir, port: await freePort(), sdkPort: await freePort(), portRange: { from: 44_800, to: 44_839 },
      extraArgs: ['--store', pair.multiHostUrl('handoff'), '--replica-id', 'cp-1', '--lease-ttl', '2', '--stop-servers-on-exit'],
    });
    // The supervisor (systemd's Restart=always): a replica that exits is started again.
    void (async () => {
      while (supervising) {
        await new Promise((r) => setTimeout(r, 100));
        if (!supervising || cp?.running) continue;
        restarts++;
        await cp?.restart().catch(() => undefined);
      }
    })();
  }, 90_000);

  afterAll(async () => {
    supervising = false;
    await cp?.stop();
    await pair?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const call = async (method: string, route: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${cp?.url}${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  it('resumes allocating on the promoted standby, with every acknowledged allocation in it', async () => {
    if (!cp || !pair) throw new Error('no control plane');
    expect((await call('POST', '/v1/apply', {
      builds: [fixtureBuild('v1', [], 1_000)],
      fleets: [fleetSpec('arena', 'v1', { minServers: 2, maxServers: 2 })],
    })).status).toBe(200);
    await waitFor(async () => (await call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready === 2, 'two Ready servers', 30_000);

    const acked: { id: string; at: number }[] = [];
    let failed = 0;
    let stop = false;
    const client = async (c: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await call('POST', '/v1/allocations', { fleet: 'arena', playerId: `c${c}-p${i}` });
          if (r.status === 201) acked.push({ id: r.body.sessionId as string, at: Date.now() });
          else {
            failed++;
            await new Promise((r) => setTimeout(r, 50));
          }
        } catch {
          failed++; // The replica is restarting: retry, as a matchmaker would.
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const clients = Array.from({ length: 6 }, (_, c) => client(c));
    await waitFor(() => acked.length >= 100, '100 acknowledged allocations on the first primary', 30_000);

    await pair.stopPrimary();
    // From here nothing can commit on the old primary: the next acknowledgement is the new one's.
    const stoppedAt = Date.now();
    pair.promote();
    await waitFor(() => acked.filter((a) => a.at > stoppedAt).length >= 50, '50 allocations on the promoted standby', 60_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${cp?.recentOutput()}`);
    });
    const first = acked.find((a) => a.at > stoppedAt);
    stop = true;
    await Promise.all(clients);
    console.log(`database failover: primary stopped → next answered allocation ${first ? first.at - stoppedAt : NaN} ms (includes pg_ctl promote); ${restarts} replica restart(s), ${failed} failed attempts retried`);

    expect(cp.recentOutput()).toContain(`postgres: using 127.0.0.1:${pair.standbyPort}`);
    const db = new pg.Client({ connectionString: pair.url('standby', 'handoff') });
    await db.connect();
    try {
      expect((await db.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r).toBe(false);
      const stored = new Set((await db.query<{ id: string }>('SELECT id FROM sessions')).rows.map((r) => r.id));
      expect(acked.filter((a) => !stored.has(a.id)).map((a) => a.id)).toEqual([]);
    } finally {
      await db.end();
    }
  }, 150_000);
});
