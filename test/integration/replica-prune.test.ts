/**
 * The leader prunes replicas that have been silent for longer than the replica retention from
 * the cluster table (and `GET /v1/cluster`), and records each removal as an event. A replica
 * that is merely gone (silent past the lease) stays listed until then.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/server/replica.js';
import { waitFor, type Json } from '../support/control-plane.js';
import { describePg, dropDatabase, freshDatabase } from '../support/postgres.js';

describePg('pruning replicas that are long gone', () => {
  let url = '';
  let root = '';
  let leader: Replica | null = null;
  beforeAll(async () => {
    url = await freshDatabase('prune');
    root = mkdtempSync(path.join(tmpdir(), 'handoff-prune-'));
  });
  afterAll(async () => {
    await leader?.close();
    if (root) rmSync(root, { recursive: true, force: true });
    if (url) await dropDatabase(url);
  });

  it('removes a replica silent past the retention, records it as an event, and keeps one that is only gone', async () => {
    leader = await startReplica(
      { dataDir: root, port: 0, sdkPort: 0, store: url, runtime: 'simulated' },
      { id: 'cp-1', leaseTtlMs: 1_000, retentionMs: 30_000 },
      { log: () => undefined, onFatal: () => undefined },
    );
    const cp = await waitFor(() => leader?.controlPlane(), 'cp-1 leading');
    // Two replicas that stopped heartbeating (database time): a minute ago, and five seconds ago.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`INSERT INTO replicas (id, url, sdk_url, started_at, seen_at)
        SELECT id, 'http://' || id || ':7350', '', 0, (extract(epoch from clock_timestamp()) * 1000)::bigint - ago
        FROM (VALUES ('cp-old', 60000), ('cp-recent', 5000)) AS v(id, ago)`);
    } finally {
      await admin.end();
    }
    const cluster = async (): Promise<Json> => (await fetch(`${cp.url}/v1/cluster`)).json();
    const view = await waitFor(async () => {
      const v = await cluster();
      return v.items.some((r: Json) => r.id === 'cp-old') ? null : v;
    }, 'cp-old pruned', 20_000);
    expect(view.items.map((r: Json) => [r.id, r.role])).toEqual([['cp-1', 'leader'], ['cp-recent', 'gone']]);
    const events = await waitFor(async () => {
      const all = await cp.store.listEvents({ limit: 100 });
      return all.some((e) => e.kind === 'cluster.replica_pruned') ? all.filter((e) => e.kind === 'cluster.replica_pruned') : null;
    }, 'the pruning recorded');
    expect(events.map((e) => [e.subject, e.fleet, e.data['url'], e.data['retentionMs']])).toEqual([['cp-old', null, 'http://cp-old:7350', 30_000]]);
    expect(events[0]?.message).toContain('removed from the cluster');
  });
});
