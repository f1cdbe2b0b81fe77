/**
 * The control plane under test, as a child process (`./bin/handoff server`): the load
 * generator and the server must not share an event loop, or the bench would measure their
 * contention instead of the server. Also the bench's view of the child from outside: CPU time
 * from /proc, the API for setup calls, and a shutdown that verifies no game server is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartOptions {
  root: string;
  dataDir: string;
  portRange: { from: number; to: number };
  /** Open the V8 inspector on a free loopback port so the bench can profile the server. */
  inspector: boolean;
}

export interface CpuTimes {
  /** Whole process, all threads (main, libuv pool, V8 GC helpers), in seconds. */
  processS: number;
  /** The main thread alone: the event loop, where HTTP, routing and SQLite commits all run. */
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

const CLK_TCK = 100; // Linux's USER_HZ on every mainstream architecture.

export class ControlPlaneChild {
  /** Every game-server pid the API ever reported, so shutdown can verify each one is gone. */
  private readonly serverPids = new Set<number>();
  private readonly stderrTail: string[] = [];
  private exit: Promise<{ code: number | null; signal: string | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly url: string,
    readonly sdkUrl: string,
    readonly inspectorUrl: string | null,
    stderrTail: string[],
  ) {
    this.stderrTail = stderrTail;
    this.exit = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  static async start(o: StartOptions): Promise<ControlPlaneChild> {
    const args = [
      'server', '--data-dir', o.dataDir, '--port', '0', '--sdk-port', '0',
      '--port-range', `${o.portRange.from}-${o.portRange.to}`, '--stop-servers-on-exit',
    ];
    // Game servers do not inherit NODE_OPTIONS (the runtime passes them a fixed env subset).
    const env = { ...process.env, NODE_OPTIONS: o.inspector ? '--inspect=127.0.0.1:0' : '' };
    const child = spawn(path.join(o.root, 'bin', 'handoff'), args, { cwd: o.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderrTail: string[] = [];
    let inspectorUrl: string | null = null;
    const inspectorSeen = new Promise<void>((resolve) => {
      if (!o.inspector) resolve();
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
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
    const timeout = sleep(30_000).then(() => {
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

  /** A setup or status call (not the measured path): JSON in, JSON out, non-2xx throws. */
  async api<T>(method: string, urlPath: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${urlPath}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status}: ${text}`);
    return JSON.parse(text) as T;
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
    return { processS: ticks(`/proc/${this.pid}/stat`), mainThreadS: ticks(`/proc/${this.pid}/task/${this.pid}/stat`) };
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
    const started = performance.now();
    this.child.kill('SIGTERM');
    const exited = await Promise.race([this.exit.then((x) => x), sleep(timeoutMs).then(() => null)]);
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
    this.child.kill('SIGKILL');
    for (const pid of this.serverPids) if (isBenchServer(pid)) process.kill(pid, 'SIGKILL');
  }
}

/** utime + stime of a /proc stat file, in seconds. */
function ticks(file: string): number {
  try {
    const stat = readFileSync(file, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** Alive (not a zombie) and still our fixture: a pid reused by another program is left alone. */
function isBenchServer(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bench-server.mjs');
  } catch {
    return false;
  }
}

async function killAll(pids: number[]): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        if (isBenchServer(pid)) process.kill(pid, sig);
      } catch {
        // Exited in between.
      }
    }
  };
  signal('SIGTERM');
  for (let i = 0; i < 30 && pids.some(isBenchServer); i++) await sleep(100);
  signal('SIGKILL');
}

/** Whole-machine CPU from /proc/stat: how busy both cores were, whoever used them. */
export function machineCpu(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}
