/**
 * A primary and a streaming standby, for database-failover tests and the bench: `initdb` a
 * primary, `pg_basebackup -R` a standby from it, both on loopback under one temp dir, each a
 * direct child of this process. Replication is synchronous (`synchronous_standby_names = '*'`):
 * a commit the primary acknowledges has reached the standby, which is what lets a failover
 * keep every acknowledged allocation. `stopPrimary` is `pg_ctl stop -m immediate` (a crash, as
 * far as the data is concerned); `promote` is `pg_ctl promote`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './control-plane.js';
import { runAs, terminate, waitUntilReady } from './postgres-cluster.js';

export interface PostgresPair {
  primaryPort: number;
  standbyPort: number;
  /** Superuser URL of `db` listing both hosts, primary first, with target_session_attrs=read-write. */
  multiHostUrl(db: string): string;
  /** Single-host superuser URL of one server's `db`. */
  url(which: 'primary' | 'standby', db?: string): string;
  /** `pg_ctl stop -m immediate` on the primary. */
  stopPrimary(): Promise<void>;
  /** `pg_ctl promote -w` on the standby: it accepts writes when this resolves. */
  promote(): void;
  stop(): Promise<void>;
}

interface Node {
  child: ChildProcess;
  data: string;
  port: number;
  log: () => string;
}

export async function startPostgresPair(bin: string): Promise<PostgresPair> {
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-pgpair-'));
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  const ids = user ?? {};
  const run = (tool: string, args: string[]): void => {
    const r = spawnSync(path.join(bin, tool), args, { cwd: dir, encoding: 'utf8', ...ids });
    if (r.status !== 0) throw new Error(`${tool} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  const nodes: Node[] = [];
  const start = async (data: string, port: number, extra: string[]): Promise<Node> => {
    const child = spawn(path.join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
      '-c', 'max_connections=200', '-c', 'shared_buffers=32MB', ...extra,
    ], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], ...ids });
    let log = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (log = (log + c).slice(-4000)));
    const node = { child, data, port, log: () => log };
    nodes.push(node);
    await waitUntilReady(`postgres://postgres@127.0.0.1:${port}/postgres`, child, node.log);
    return node;
  };
  const stop = async (): Promise<void> => {
    for (const n of nodes) await terminate(n.child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const primaryData = path.join(dir, 'primary');
    const standbyData = path.join(dir, 'standby');
    run('initdb', ['-D', primaryData, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '-N']);
    const primary = await start(primaryData, await freePort(), ['-c', 'synchronous_standby_names=*', '-c', 'wal_level=replica']);
    run('pg_basebackup', ['-D', standbyData, '-R', '-X', 'stream', '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres']);
    const standby = await start(standbyData, await freePort(), ['-c', 'hot_standby=on']);
    await waitForSyncStandby(primary.port);
    const url = (port: number, db: string): string => `postgres://postgres@127.0.0.1:${port}/${db}`;
    return {
      primaryPort: primary.port,
      standbyPort: standby.port,
      multiHostUrl: (db) => `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/${db}?target_session_attrs=read-write`,
      url: (which, db = 'postgres') => url(which === 'primary' ? primary.port : standby.port, db),
      async stopPrimary() {
        const exited = new Promise<void>((resolve) => primary.child.once('exit', () => resolve()));
        run('pg_ctl', ['stop', '-D', primary.data, '-m', 'immediate']);
        await exited;
      },
      promote: () => run('pg_ctl', ['promote', '-D', standby.data, '-w']),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Until the primary reports one synchronous standby streaming. */
async function waitForSyncStandby(port: number): Promise<void> {
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await client.connect();
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = 'sync'");
      if (Number(rows[0]?.n) >= 1) return;
      if (Date.now() > deadline) throw new Error('the standby did not start streaming synchronously within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await client.end();
  }
}
