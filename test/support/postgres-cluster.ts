/**
 * A throwaway PostgreSQL cluster for tests and the bench: `initdb` into a temp dir, then
 * `postgres` on a free loopback port with its unix socket in that dir, as a direct child of
 * this process so stopping it is one signal to one known pid. No system service is involved.
 *
 * initdb and postgres refuse to run as root; as root they run as the `postgres` system user
 * (Debian's package creates it) through spawn's uid/gid, the temp dir chowned to it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './control-plane.js';

export interface PostgresCluster {
  /** Superuser URL of the `postgres` database, e.g. postgres://postgres@127.0.0.1:54321/postgres. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Where initdb and postgres live: $HANDOFF_PG_BIN, Debian's /usr/lib/postgresql/N/bin (newest), or PATH. */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates: string[] = [];
  if (env.HANDOFF_PG_BIN) candidates.push(env.HANDOFF_PG_BIN);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debian, v, 'bin')));
  }
  const fromPath = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (fromPath.status === 0) candidates.push(fromPath.stdout.trim());
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'))) ?? null;
}

/** The uid/gid to run PostgreSQL as: the `postgres` user when we are root, else ourselves. */
export function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const [uid, gid] = [id('-u'), id('-g')];
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root, but there is no `postgres` system user to run PostgreSQL as');
  return { uid, gid };
}

/** Starts a cluster and resolves once it accepts connections. */
export async function startPostgresCluster(bin: string, opts: { durable?: boolean } = {}): Promise<PostgresCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-pg-'));
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const ids = user ?? {};
  // -N: no fsync during initdb; --no-locale: no dependence on the machine's locales.
  const init = spawnSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '-N'], {
    cwd: dir, encoding: 'utf8', ...ids,
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  // fsync off: this cluster is never crashed, only Handoff is (its commits are still
  // synchronous: synchronous_commit stays on), and the disk is shared by a busy machine. The
  // bench asks for `durable` instead, to compare with SQLite's fdatasync on equal terms.
  const durability = opts.durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off'];
  const child = spawn(path.join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
    ...durability, '-c', 'max_connections=300', '-c', 'shared_buffers=32MB',
  ], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], ...ids });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (log = (log + c).slice(-4000)));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = once(async () => {
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    await waitUntilReady(url, child, () => log);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, port, stop };
}

export async function waitUntilReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`postgres exited during start-up:\n${log()}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 30 s: ${String(e)}\n${log()}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGINT is postgres's "fast shutdown": it ends sessions and exits at once. SIGKILL if it lingers. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn());
}

/** A fresh database on the cluster; the URL connects to it. Names are the caller's, e.g. per test file. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name must be a lowercase identifier, got ${name}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
