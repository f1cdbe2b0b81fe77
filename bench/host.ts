/**
 * The machine around the bench, from /proc: how busy its cores were and who else used them.
 * On a shared 2-core machine another job's test run can take most of a core, and the server's
 * latency then measures the neighbour, not the server; the report names such neighbours.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { round, summarizeLatencies, type LatencySummary } from './stats.js';

/** Other processes' CPU (% of one core) above which a phase is flagged as disturbed. */
export const NOISY_PCT = 20;

const CLK_TCK = 100; // Linux's USER_HZ on every mainstream architecture.

export interface HostSnapshot {
  busyTicks: number;
  totalTicks: number;
  /** pid → [parent pid, CPU seconds so far] */
  procs: Map<number, [number, number]>;
}

export interface Neighbour {
  pid: number;
  command: string;
  /** Of one core, over the window. */
  cpuPct: number;
}

export interface HostUsage {
  /** Of one core: 200% is both cores of a 2-core machine. */
  machineBusyPct: number;
  /** Busy time not used by the bench, the control plane or its game servers. */
  othersPct: number;
  neighbours: Neighbour[];
}

/** utime + stime in seconds and the parent pid, from a /proc/<pid>[/task/<tid>]/stat file. */
export function readStat(file: string): { ppid: number; cpuS: number; state: string } | null {
  try {
    const stat = readFileSync(file, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: f[0] ?? '?', ppid: Number(f[1]), cpuS: (Number(f[11]) + Number(f[12])) / CLK_TCK };
  } catch {
    return null;
  }
}

export function hostSnapshot(): HostSnapshot {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const procs = new Map<number, [number, number]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(`/proc/${name}/stat`);
    if (s) procs.set(Number(name), [s.ppid, s.cpuS]);
  }
  return { busyTicks: total - idle, totalTicks: total, procs };
}

/** Busy and total ticks of each CPU (the `cpuN` lines of /proc/stat), for a pinned process's core. */
export function cpuTicks(): Map<number, { busy: number; total: number }> {
  const out = new Map<number, { busy: number; total: number }>();
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m?.[2]) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    out.set(Number(m[1]), { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total });
  }
  return out;
}

/** % of one CPU that was busy between two cpuTicks() snapshots. */
export function cpuBusyPct(before: ReturnType<typeof cpuTicks>, after: ReturnType<typeof cpuTicks>, cpu: number): number | null {
  const a = before.get(cpu);
  const b = after.get(cpu);
  if (!a || !b || b.total === a.total) return null;
  return round((100 * (b.busy - a.busy)) / (b.total - a.total), 0);
}

/**
 * `ours`: the bench and the control plane; their children (game servers) count as ours too.
 * `oursPct` is what the caller measured for them, so the remainder is someone else's.
 */
export function hostUsage(before: HostSnapshot, after: HostSnapshot, wallS: number, ours: readonly number[], oursPct: number): HostUsage {
  const cores = os.cpus().length;
  const machineBusyPct = (100 * cores * (after.busyTicks - before.busyTicks)) / Math.max(1, after.totalTicks - before.totalTicks);
  const mine = new Set(ours);
  const neighbours: Neighbour[] = [];
  let childrenPct = 0;
  for (const [pid, [ppid, cpuS]] of after.procs) {
    // A process started inside the window spent all its CPU time in it.
    const used = cpuS - (before.procs.get(pid)?.[1] ?? 0);
    if (mine.has(pid)) continue;
    const pct = (100 * used) / wallS;
    if (mine.has(ppid)) childrenPct += pct;
    else if (pct >= 1) neighbours.push({ pid, command: commandOf(pid), cpuPct: Math.round(pct) });
  }
  neighbours.sort((a, b) => b.cpuPct - a.cpuPct);
  return {
    machineBusyPct: Math.round(machineBusyPct),
    othersPct: Math.max(0, Math.round(machineBusyPct - oursPct - childrenPct)),
    neighbours: neighbours.slice(0, 3),
  };
}

function commandOf(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    // Kernel threads have no command line, only a name.
    if (cmd === '') return `[${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`;
    // Interpreter flags say little: keep the program and its last two arguments.
    const args = cmd.split(' ');
    const short = args.length > 3 ? `${path.basename(args[0] ?? '')} … ${args.slice(-2).join(' ')}` : cmd;
    return short.length > 100 ? `${short.slice(0, 97)}...` : short;
  } catch {
    return '(exited)';
  }
}

/**
 * The disk's own fsync latency, without SQLite or the control plane: 8 KiB appended and
 * fdatasync'ed in a loop, in the directory the store will use. Commit latency can be no
 * better than this; its tail is the floor under the allocation p99.
 */
export function fsyncProbe(dir: string, durationMs: number): LatencySummary & { over20ms: number } {
  const file = path.join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(8192, 1);
  const times: number[] = [];
  try {
    const end = performance.now() + durationMs;
    for (let off = 0; performance.now() < end; off += buf.length) {
      const t = process.hrtime.bigint();
      writeSync(fd, buf, 0, buf.length, off);
      fdatasyncSync(fd);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  const s = summarizeLatencies(Float64Array.from(times));
  return {
    count: s.count, meanMs: round(s.meanMs), p50Ms: round(s.p50Ms), p90Ms: round(s.p90Ms), p99Ms: round(s.p99Ms),
    p999Ms: round(s.p999Ms), maxMs: round(s.maxMs), over20ms: times.filter((t) => t > 20).length,
  };
}
