/**
 * The control plane under test, as a child process (`./bin/handoff server`): the load
 * generator and the server must not share an event loop, or the bench would measure their
 * contention instead of the server. Also the bench's view of the child from outside: CPU time
 * from /proc, the API for setup calls, and a shutdown that verifies no game server is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { readStat } from './host.js';

export interface StartOptions {
  root: string;
  dataDir: string;
  portRange: { from: number; to: number };
  /** Open the V8 inspector on a free loopback port so the bench can profile the server. */
  inspector: boolean;
  /** More `handoff server` flags (the soak sets retention). */
  args?: readonly string[];
}

export interface CpuTimes {
  /** Whole process, all threads (main, libuv pool, V8 GC helpers), in seconds. */
  processS: number;
  /** The main thread alone: the event loop, where HTTP, routing, decisions and SQLite statements run. */
  mainThreadS: number;
}

export interface ShutdownReport {
  /** SIGTERM to exit, or null when the bench had to SIGKILL the control plane. */
  exitMs: number | null;
  exitCode: number | null;
  exitSignal: string | null;
  /** Game-server pids still alive after the control plane was gone; the bench killed them. */
  leftoverServerPids: number[];
  problems: string[];
}

export class ControlPlaneChild {
  /** Every game-server pid the API ever reported, so shutdown can verify each one is gone. */
  private readonly serverPids = new Set<number>();
  private readonly exit: Promise<{ code: number | null; signal: string | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly url: string,
    readonly sdkUrl: string,
    readonly inspectorUrl: string | null,
    /** The last lines the child wrote to stderr, for error reports. */
    private readonly stderrTail: string[],
  ) {
    this.exit = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  static async start(o: StartOptions): Promise<ControlPlaneChild> {
    const args = [
      'server', '--data-dir', o.dataDir, '--port', '0', '--sdk-port', '0',
      '--port-range', `${o.portRange.from}-${o.portRange.to}`, '--stop-servers-on-exit', ...(o.args ?? []),
    ];
    // Game servers do not inherit NODE_OPTIONS (the runtime passes them a fixed env subset).
    const env = { ...process.env, NODE_OPTIONS: o.inspector ? '--inspect=127.0.0.1:0' : '' };
    const child = spawn(path.join(o.root, 'bin', 'handoff'), args, { cwd: o.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderrTail: string[] = [];
    const log = createWriteStream(path.join(o.dataDir, 'control-plane.stderr.log'), { flags: 'a' });
    child.once('exit', () => log.end());
    let inspectorUrl: string | null = null;
    const inspectorSeen = new Promise<void>((resolve) => {
      if (!o.inspector) resolve();
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
        // Also kept whole in the data dir, which the bench keeps when something failed.
        log.write(`${line}\n`);
        stderrTail.push(line);
        if (stderrTail.length > 200) stderrTail.shift();
        const m = /Debugger listening on (ws:\/\/\S+)/.exec(line);
        if (m?.[1]) {
          inspectorUrl = m[1];
          resolve();
        }
      });
    });
    const listening = new Promise<{ url: string; sdkUrl: string }>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        const m = /listening on (\S+) \(SDK (\S+?),/.exec(line);
        if (m?.[1] && m[2]) resolve({ url: m[1], sdkUrl: m[2] });
      });
      child.once('exit', (code, signal) => reject(new Error(`control plane exited during start (code ${code}, signal ${signal}):\n${stderrTail.join('\n')}`)));
      child.once('error', reject);
    });
    // Unref'd: a pending deadline must not keep the bench alive once it is done.
    const timeout = sleep(30_000, undefined, { ref: false }).then(() => {
      throw new Error(`control plane did not report listening within 30 s:\n${stderrTail.join('\n')}`);
    });
    try {
      const { url, sdkUrl } = await Promise.race([listening, timeout]);
      await Promise.race([inspectorSeen, timeout]);
      if (child.pid === undefined) throw new Error('control plane has no pid');
      return new ControlPlaneChild(child, child.pid, url, sdkUrl, inspectorUrl, stderrTail);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  }

  /**
   * A setup or status call (not the measured path): JSON in, JSON out, non-2xx throws. A shed
   * answer (429 OVERLOADED, e.g. while a profiler slows the loop) is retried after its
   * Retry-After, as a well-behaved client does, for up to 30 s.
   */
  async api<T>(method: string, urlPath: string, body?: unknown): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetch(`${this.url}${urlPath}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status === 429 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000 * Math.max(0.1, Number(res.headers.get('retry-after') ?? '1'))));
        continue;
      }
      if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    }
  }

  async metrics(): Promise<string> {
    const res = await fetch(`${this.url}/metrics`);
    return res.text();
  }

  /** Game servers of every fleet, remembering their pids for the shutdown check. */
  async servers(): Promise<{ id: string; build: string; state: string; pid: number | null; readyAt: number | null }[]> {
    const { items } = await this.api<{ items: { id: string; build: string; state: string; pid: number | null; readyAt: number | null }[] }>('GET', '/v1/servers?limit=1000');
    for (const s of items) if (s.pid !== null) this.serverPids.add(s.pid);
    return items;
  }

  cpu(): CpuTimes {
    return {
      processS: readStat(`/proc/${this.pid}/stat`)?.cpuS ?? NaN,
      mainThreadS: readStat(`/proc/${this.pid}/task/${this.pid}/stat`)?.cpuS ?? NaN,
    };
  }

  stderr(): string[] {
    return [...this.stderrTail];
  }

  /**
   * SIGTERM (the child runs with --stop-servers-on-exit, so it should stop its game servers and
   * exit), then verify: a control plane that does not exit in time is SIGKILLed, and any game
   * server still alive afterwards is stopped by pid. Both are reported as problems.
   */
  async shutdown(timeoutMs: number): Promise<ShutdownReport> {
    const problems: string[] = [];
    await this.servers().catch((e: unknown) => problems.push(`could not list game servers before shutdown: ${String(e)}`));
    this.rememberChildren();
    const started = performance.now();
    this.child.kill('SIGTERM');
    const exited = await Promise.race([this.exit, sleep(timeoutMs, null, { ref: false })]);
    let exitMs: number | null = performance.now() - started;
    let result = exited;
    if (exited === null) {
      exitMs = null;
      problems.push(`control plane did not exit within ${timeoutMs / 1000} s of SIGTERM; killed`);
      this.child.kill('SIGKILL');
      result = await this.exit;
    }
    const leftover = [...this.serverPids].filter(isBenchServer);
    if (leftover.length > 0) {
      problems.push(`${leftover.length} game server(s) still running after the control plane exited: pids ${leftover.join(', ')}; stopped by the bench`);
      await killAll(leftover);
    }
    return { exitMs, exitCode: result?.code ?? null, exitSignal: result?.signal ?? null, leftoverServerPids: leftover, problems };
  }

  /** Last resort on an aborted run: no waiting, no report. */
  kill(): void {
    this.rememberChildren();
    this.child.kill('SIGKILL');
    signalAll([...this.serverPids], 'SIGKILL');
  }

  /** Game servers are the control plane's children until it exits: note any the API has not shown yet. */
  private rememberChildren(): void {
    for (const name of readdirSync('/proc')) {
      if (/^\d+$/.test(name) && readStat(`/proc/${name}/stat`)?.ppid === this.pid) this.serverPids.add(Number(name));
    }
  }
}

/** Alive (not a zombie) and still our fixture: a pid reused by another program is left alone. */
function isBenchServer(pid: number): boolean {
  const stat = readStat(`/proc/${pid}/stat`);
  if (!stat || stat.state === 'Z') return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bench-server.mjs');
  } catch {
    return false;
  }
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      if (isBenchServer(pid)) process.kill(pid, signal);
    } catch {
      // Exited in between.
    }
  }
}

async function killAll(pids: readonly number[]): Promise<void> {
  signalAll(pids, 'SIGTERM');
  for (let i = 0; i < 30 && pids.some(isBenchServer); i++) await sleep(100);
  signalAll(pids, 'SIGKILL');
}
