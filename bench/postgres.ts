/**
 * `npm run bench -- --only postgres` (issue 9): allocation throughput on PostgreSQL with one
 * replica and with three (the load spread over all three, so two thirds of it is forwarded by
 * followers), each as a ratio to SQLite measured in the same run on the same machine; then the
 * leader killed with SIGKILL under load, timed to the next answered allocation.
 *
 * Every configuration runs `handoff server` child processes with real game-server processes
 * (bench/fixtures/bench-server.mjs) against a PostgreSQL cluster started for the run with fsync
 * on, as SQLite's store fdatasyncs: equal durability. Skips, saying so, without PostgreSQL.
 * Options: --pg-requests N (per configuration) --pg-concurrency N --pg-lease-ttl SECONDS --pg-kills N.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createDatabase, findPostgresBin, startPostgresCluster } from '../test/support/postgres-cluster.js';
import { HttpClient, closedLoop, type LoadResult } from './http-load.js';
import { round } from './stats.js';

export interface Throughput {
  name: string;
  replicas: number;
  requests: number;
  ok: number;
  errors: Record<string, number>;
  perS: number;
}

export interface PostgresBench {
  skipped: string | null;
  concurrency: number;
  leaseTtlS: number;
  throughput: Throughput[];
  ratios: Record<string, number>;
  /** Each kill: SIGKILL of the leader → the next 201 from any replica, ms. */
  failoverMs: number[];
  /**
   * Where each failover's time went, ms after the kill: when another replica logged taking the
   * lease (and why: \`holder-gone\`, \`expired\`), and how long it then took to answer as the
   * control plane (the world loaded from the store, game servers re-adopted, listening).
   */
  failoverSteps: { tookLeaseMs: number | null; reason: string | null; promotionMs: number | null }[];
  /** Restarts of replicas that exited on their own (a lease lost on a loaded machine), all configurations. */
  unplannedRestarts: number;
  /** 1-minute load average at the start and end: on a shared machine, read the figures with it. */
  loadAverage: [number, number];
  errors: string[];
}

/** True when argv asks for the postgres phase alone. */
export function postgresOnly(argv: readonly string[]): boolean {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return false;
  const value = argv[i]?.includes('=') ? argv[i]?.split('=')[1] : argv[i + 1];
  return value === 'postgres';
}

const FLEET = 'bench';
// Real game-server processes (the main bench's stand-in): they outlive a killed leader and the
// next one re-adopts them, as in production. Simulated ones would die with the leader's process,
// and the failover measured would include starting new servers.
const build = (root: string) => ({ id: 'pg-bench', version: '1.0.0', launch: { executable: process.execPath, args: [path.join(root, 'bench', 'fixtures', 'bench-server.mjs')] }, sessionsPerServer: 10_000 });
const fleet = { name: FLEET, build: 'pg-bench', capacity: { minServers: 4, maxServers: 4, bufferServers: 0, idleTimeoutSeconds: 3600 } };

export async function runPostgresBench(root: string, argv: readonly string[], log: (m: string) => void): Promise<PostgresBench> {
  const { values } = parseArgs({
    args: [...argv],
    options: { 'pg-requests': { type: 'string', default: '4000' }, 'pg-concurrency': { type: 'string', default: '32' }, 'pg-lease-ttl': { type: 'string', default: '3' }, 'pg-kills': { type: 'string', default: '2' } },
    strict: false,
  });
  const num = (v: unknown): number => Number(typeof v === 'string' ? v : NaN);
  const requests = num(values['pg-requests']);
  const concurrency = num(values['pg-concurrency']);
  const leaseTtlS = num(values['pg-lease-ttl']);
  const out: PostgresBench = { skipped: null, concurrency, leaseTtlS, throughput: [], ratios: {}, failoverMs: [], failoverSteps: [], unplannedRestarts: 0, loadAverage: [round(loadavg()[0] ?? NaN, 1), NaN], errors: [] };
  const bin = findPostgresBin();
  if (!bin) {
    out.skipped = 'no PostgreSQL binaries (initdb, postgres): apt-get install postgresql, or set HANDOFF_PG_BIN';
    log(`postgres phase SKIPPED: ${out.skipped}`);
    return out;
  }
  // A random 64-port window shared by the replicas: the runtime skips any port that is taken.
  const ports = 20_000 + 64 * Math.floor(Math.random() * 150);
  const work = mkdtempSync(path.join(tmpdir(), 'handoff-bench-pg-'));
  const cluster = await startPostgresCluster(bin, { durable: true });
  const children: Replica[] = [];
  const all: Replica[] = [];
  const spawnReplica = async (args: string[], id: string): Promise<Replica> => {
    const r = await Replica.start(root, ['--data-dir', path.join(work, id), '--port-range', `${ports}-${ports + 63}`, ...args]);
    children.push(r);
    all.push(r);
    return r;
  };
  try {
    const measure = async (name: string, replicas: Replica[]): Promise<Throughput> => {
      const [first] = replicas;
      if (!first) throw new Error('no replica');
      await api(first.url, 'POST', '/v1/apply', { builds: [build(root)], fleets: [fleet] });
      let seen: unknown = null;
      await waitUntil(async () => {
        seen = ((await api(first.url, 'GET', `/v1/fleets/${FLEET}`)) as { status: { serversByState: Record<string, number> } }).status.serversByState;
        return (seen as Record<string, number>).Ready === 4;
      }, 'four Ready servers', 60_000).catch((e: unknown) => {
        throw new Error(`${String(e)} (servers by state: ${JSON.stringify(seen)})`);
      });
      const r = await spread(replicas, concurrency, requests, name);
      const t = { name, replicas: replicas.length, requests: r.sent, ok: r.ok, errors: r.errors, perS: round(r.ok / r.durationS, 0) };
      log(`postgres ${name}: ${t.perS} allocations/s at C=${concurrency}, errors ${JSON.stringify(t.errors)}`);
      if (t.ok < t.requests) out.errors.push(`${name}: ${t.requests - t.ok} allocations failed (${JSON.stringify(t.errors)})`);
      out.throughput.push(t);
      return t;
    };
    const sqlite = await measure('sqlite, 1 control plane', [await spawnReplica([], 'sqlite')]);
    await stopAll(children);

    const one = await createDatabase(cluster.url, 'bench_one');
    const pg1 = await measure('postgres, 1 replica', [await spawnReplica(['--store', one, '--replica-id', 'solo', '--lease-ttl', String(leaseTtlS)], 'solo')]);
    await stopAll(children);

    const three = await createDatabase(cluster.url, 'bench_three');
    const replicas: Replica[] = [];
    for (const id of ['r1', 'r2', 'r3']) replicas.push(await spawnReplica(['--store', three, '--replica-id', id, '--lease-ttl', String(leaseTtlS)], id));
    await waitUntil(async () => ((await api(replicas[0]?.url ?? '', 'GET', '/v1/cluster')) as { leader: unknown }).leader !== null, 'a leader');
    const pg3 = await measure('postgres, 3 replicas (load spread over all 3)', replicas);
    out.ratios = {
      'postgres 1 replica / sqlite': round(pg1.perS / sqlite.perS, 2),
      'postgres 3 replicas / sqlite': round(pg3.perS / sqlite.perS, 2),
      'postgres 3 replicas / postgres 1 replica': round(pg3.perS / pg1.perS, 2),
    };
    for (let k = 0; k < num(values['pg-kills']); k++) {
      const { ms, steps } = await failover(replicas, log);
      out.failoverMs.push(ms);
      out.failoverSteps.push(steps);
      log(`postgres failover ${k + 1}: leader SIGKILLed → next answered allocation ${ms} ms (lease TTL ${leaseTtlS} s; lease taken at ${steps.tookLeaseMs} ms, ${steps.reason}; promotion ${steps.promotionMs} ms)`);
    }
  } catch (e) {
    out.errors.push(`postgres phase: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    for (const c of children) out.errors.push(...c.tail().slice(-5).map((l) => `replica stderr: ${l}`));
  } finally {
    out.unplannedRestarts = all.reduce((n, c) => n + c.restarts, 0);
    out.loadAverage[1] = round(loadavg()[0] ?? NaN, 1);
    await stopAll(children);
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

/** A closed loop of `concurrency` workers split evenly over the replicas, one shared counter. */
async function spread(replicas: Replica[], concurrency: number, requests: number, tag: string): Promise<LoadResult & { durationS: number }> {
  const prefix = `${tag.replace(/\W+/g, '-')}-${Date.now().toString(36)}`;
  const per = Math.ceil(requests / replicas.length);
  const clients = replicas.map((r) => new HttpClient(r.url, Math.ceil(concurrency / replicas.length)));
  try {
    const started = performance.now();
    const results = await Promise.all(clients.map((c, n) => closedLoop(c, Math.ceil(concurrency / replicas.length), {
      count: per,
      call: (i) => ({ method: 'POST', path: '/v1/allocations', body: JSON.stringify({ fleet: FLEET, playerId: `${prefix}-${n}-${i}` }) }),
    })));
    const errors: Record<string, number> = {};
    for (const r of results) for (const [code, n] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + n;
    const merged = results[0] as LoadResult;
    return { ...merged, sent: results.reduce((a, r) => a + r.sent, 0), ok: results.reduce((a, r) => a + r.ok, 0), errors, durationS: (performance.now() - started) / 1000 };
  } finally {
    for (const c of clients) c.close();
  }
}

/**
 * Eight clients allocate through every live replica, retrying as a matchmaker would; the
 * leader is SIGKILLed; the time to the first 201 sent after the kill is the failover time.
 * The killed replica is restarted afterwards, as its supervisor would, and rejoins as a follower.
 */
async function failover(replicas: Replica[], log: (m: string) => void): Promise<{ ms: number; steps: PostgresBench['failoverSteps'][number] }> {
  const view = (await api(replicas[0]?.url ?? '', 'GET', '/v1/cluster')) as { leader: { id: string } | null };
  const leader = replicas.find((r) => r.args.includes(view.leader?.id ?? '\0'));
  if (!leader) throw new Error(`no leader among the replicas: ${JSON.stringify(view)}`);
  let killedAt = 0;
  let firstAfter = 0;
  let stop = false;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const target = replicas[(w + i) % replicas.length];
      if (!target || target === leader && killedAt > 0) continue;
      const sent = performance.now();
      try {
        const res = await fetch(`${target.url}/v1/allocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fleet: FLEET, playerId: `fo-${w}-${i}-${Date.now()}` }) });
        await res.arrayBuffer();
        if (res.status === 201 && killedAt > 0 && sent >= killedAt && firstAfter === 0) firstAfter = performance.now();
        if (res.status !== 201) await sleep(20);
      } catch {
        await sleep(20);
      }
    }
  };
  const workers = Array.from({ length: 8 }, (_, w) => worker(w));
  await sleep(1_000);
  killedAt = performance.now();
  leader.kill9();
  await waitUntil(() => firstAfter > 0, 'an allocation answered after the kill', 60_000).finally(() => (stop = true));
  await Promise.all(workers);
  const took = replicas.flatMap((r) => r.marks).find((m) => m.at >= killedAt && /took lease/.test(m.line));
  const promoted = replicas.flatMap((r) => r.marks).map((m) => m.at >= killedAt ? /answering (\d+) ms after taking the lease/.exec(m.line) : null).find((m) => m);
  const steps = {
    tookLeaseMs: took ? round(took.at - killedAt, 0) : null,
    reason: took ? (/, ([a-z-]+)\)/.exec(took.line)?.[1] ?? null) : null,
    promotionMs: promoted?.[1] ? Number(promoted[1]) : null,
  };
  await leader.restart();
  log(`postgres failover: ${leader.args[leader.args.indexOf('--replica-id') + 1]} restarted as a follower`);
  return { ms: round(firstAfter - killedAt, 0), steps };
}

/**
 * One `handoff server` child under a supervisor's rules: when it exits on its own (exit 75
 * after losing its lease on a loaded machine, say) it is started again on the same port, as
 * systemd's Restart=always would. `kill9` is the bench's own crash: not restarted until asked,
 * so the failover measured is another replica's take-over, not this one's restart.
 */
class Replica {
  private child: ChildProcess | null = null;
  private readonly lines: string[] = [];
  /** Leadership lines (lease taken, control plane answering) with when the bench read them. */
  readonly marks: { at: number; line: string }[] = [];
  private supervised = true;
  restarts = 0;
  url = '';

  private constructor(private readonly root: string, readonly args: string[]) {}

  static async start(root: string, args: string[]): Promise<Replica> {
    const r = new Replica(root, args);
    await r.spawn();
    return r;
  }

  tail(): string[] {
    return this.lines;
  }

  kill9(): void {
    this.supervised = false;
    this.child?.kill('SIGKILL');
    this.child = null;
  }

  async restart(): Promise<void> {
    this.supervised = true;
    await this.spawn();
  }

  async stop(): Promise<void> {
    this.supervised = false;
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  private async spawn(): Promise<void> {
    // The same port across a restart, as a supervisor's replica keeps its address.
    const port = this.url ? new URL(this.url).port : '0';
    const child = spawn(path.join(this.root, 'bin', 'handoff'), ['server', '--port', port, '--sdk-port', '0', '--stop-servers-on-exit', ...this.args], { cwd: this.root, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.once('exit', () => {
      if (this.child !== child || !this.supervised) return;
      this.child = null;
      this.restarts++;
      setTimeout(() => void (this.supervised && !this.child ? this.spawn().catch(() => undefined) : undefined), 100);
    });
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (l) => {
      this.lines.push(l);
      if (this.lines.length > 50) this.lines.shift();
      if (/took lease|answering \d+ ms after taking the lease/.test(l)) this.marks.push({ at: performance.now(), line: l });
    });
    this.url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`handoff server exited during start (${code}): ${this.lines.join('\n')}`)));
    });
  }
}

async function stopAll(children: Replica[]): Promise<void> {
  await Promise.all(children.splice(0).map((c) => c.stop()));
}

async function api(base: string, method: string, route: string, body?: unknown): Promise<unknown> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    // A replica taking the lease closes its follower listener and reopens the port as the
    // control plane: a refused connection in between is retried, as is 503 NO_LEADER.
    const res = await fetch(`${base}${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
      .catch((e: unknown) => (Date.now() > deadline ? Promise.reject(e) : null));
    const text = res ? await res.text() : '';
    if (res?.ok) return JSON.parse(text) as unknown;
    if ((res && res.status !== 503) || Date.now() > deadline) throw new Error(`${method} ${route} → ${res?.status}: ${text}`);
    await sleep(200);
  }
}

async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The markdown section for latest.md. */
export function renderPostgres(r: PostgresBench): string {
  if (r.skipped) return `\n## PostgreSQL\n\nSkipped: ${r.skipped}.\n`;
  const rows = r.throughput.map((t) => `| ${t.name} | ${t.perS} | ${t.ok}/${t.requests} | ${JSON.stringify(t.errors)} |`);
  return [
    '', '## PostgreSQL (issue 9)', '',
    `Closed loop, C=${r.concurrency} in all (split over the replicas), 4 game-server processes; PostgreSQL with fsync on, SQLite with fdatasync.`, '',
    '| configuration | allocations/s | ok | errors |', '|---|---|---|---|', ...rows, '',
    ...Object.entries(r.ratios).map(([k, v]) => `- ${k}: **${v}×**`), '',
    `Load average (1 min) ${r.loadAverage[0]} at the start, ${r.loadAverage[1]} at the end; ${r.unplannedRestarts} unplanned replica restart(s) (a lease lost to a stall, then exit 75 and a restart).`, '',
    `Leader SIGKILLed under load (lease TTL ${r.leaseTtlS} s), to the next answered allocation: ${r.failoverMs.map((m) => `${m} ms`).join(', ') || 'not measured'}.`,
    ...r.failoverSteps.map((s, i) => `- failover ${i + 1}: lease taken ${s.tookLeaseMs ?? '?'} ms after the kill (${s.reason ?? '?'}), the new leader answering ${s.promotionMs ?? '?'} ms after that`),
    ...(r.errors.length ? ['', 'Errors:', ...r.errors.map((e) => `- ${e.split('\n')[0] ?? ''}`)] : []), '',
  ].join('\n');
}
