/**
 * The bench's side of the overload load generator (bench/flood.ts, a child process pinned to
 * the generator's core): starts it, follows its progress lines, and meanwhile watches the
 * control plane from outside: its memory every 100 ms (/proc/PID/status) and the CPU it and
 * everyone else used while the flood was being sent.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlaneChild } from './control-plane.js';
import type { FloodConfig, FloodReport } from './flood.js';
import { cpuBusyPct, cpuTicks, hostSnapshot, hostUsage, readStat, type HostUsage } from './host.js';
import type { Cores } from './pin.js';
import type { ProbeConfig, ProbeReport } from './probe.js';
import { round } from './stats.js';

export interface MemoryReport {
  beforeMiB: number;
  /** Highest VmRSS sampled from the flood's start until the generator exited. */
  peakMiB: number;
  afterMiB: number;
  /** VmHWM: the peak over the control plane's whole life, earlier phases included. */
  lifetimePeakMiB: number;
  samples: number;
  /** Highest sample in each second since the flood started. */
  perSecondPeakMiB: number[];
}

export interface FloodWindow {
  /** Over the flood's sending window, % of one core. */
  controlPlane: { cpuPct: number; mainThreadBusyPct: number };
  /**
   * The machine over the same window. Pinned, the control plane cannot move away from a busy
   * core: `controlPlaneCoreOthersPct` is what other processes took of its core.
   */
  host: HostUsage & { controlPlaneCoreBusyPct: number | null; controlPlaneCoreOthersPct: number | null; generatorCoreBusyPct: number | null };
}

type Event = { event: string; report?: unknown; connected?: number };

/** Runs bench/flood.ts in `mode` and resolves with its report; throws if it dies without one. */
async function generator<R>(root: string, mode: 'probe' | 'flood', cfg: ProbeConfig | FloodConfig, cpus: string | null, limitMs: number, onEvent: (e: Event) => void): Promise<R> {
  const node = [process.execPath, '--import', 'tsx', path.join(root, 'bench', 'flood.ts'), mode, JSON.stringify(cfg)];
  const child = cpus === null ? spawn(node[0] ?? '', node.slice(1), { cwd: root }) : spawn('taskset', ['-c', cpus, ...node], { cwd: root });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  let report: R | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const ev = JSON.parse(line) as Event;
    if (ev.event === 'result') report = ev.report as R;
    else onEvent(ev);
  });
  const exit = await Promise.race([
    new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    sleep(limitMs, 'timeout' as const, { ref: false }),
  ]);
  if (exit === 'timeout') child.kill('SIGKILL');
  if (report === null) {
    throw new Error(`load generator (${mode}) ${exit === 'timeout' ? `still running after ${limitMs / 1000} s` : `exited with code ${exit}`} without a report:\n${stderr.join('').slice(-4000)}`);
  }
  return report;
}

export function runProbe(root: string, cfg: ProbeConfig, cpus: string | null): Promise<ProbeReport> {
  return generator<ProbeReport>(root, 'probe', cfg, cpus, 120_000, () => undefined);
}

/** VmRSS and VmHWM of /proc/PID/status, in MiB. */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

export async function runFlood(cp: ControlPlaneChild, root: string, cfg: FloodConfig, cores: Cores | null, log: (m: string) => void): Promise<FloodWindow & { flood: FloodReport; memory: MemoryReport }> {
  const before = memoryOf(cp.pid);
  if (before === null) throw new Error('control plane gone before the flood');
  const samples: { atMs: number; rss: number }[] = [];
  const t0 = performance.now();
  let floodStartMs = 0;
  const sampler = setInterval(() => {
    const m = memoryOf(cp.pid);
    if (m) samples.push({ atMs: performance.now() - t0, rss: m.rss });
  }, 100);
  const sample = (): Sample => ({ at: performance.now(), cp: cp.cpu(), bench: process.cpuUsage(), host: hostSnapshot(), cores: cpuTicks() });
  let w0 = sample();
  let window: FloodWindow | null = null;
  const limitMs = (cfg.durationS + cfg.drainS + cfg.recovery.durationS + 60) * 1000;
  const flood = await generator<FloodReport>(root, 'flood', cfg, cores?.generator ?? null, limitMs, (ev) => {
    if (ev.event === 'connected') log(`overload: ${ev.connected} of ${cfg.connections} connections open`);
    if (ev.event === 'flood-start') {
      floodStartMs = performance.now() - t0;
      w0 = sample();
    }
    if (ev.event === 'flood-end') {
      window = during(cp.pid, w0, sample(), cores);
      log('overload: flood over; draining and measuring recovery');
    }
  }).finally(() => clearInterval(sampler));
  const after = memoryOf(cp.pid);
  const state = readStat(`/proc/${cp.pid}/stat`)?.state;
  if (after === null || state === undefined || state === 'Z') throw new Error(`the control plane died during the overload phase:\n${cp.stderr().slice(-20).join('\n')}`);
  if (window === null) throw new Error('load generator never reported the end of the flood');
  const perSecond: number[] = [];
  for (const s of samples.filter((x) => x.atMs >= floodStartMs)) {
    const k = Math.floor((s.atMs - floodStartMs) / 1000);
    perSecond[k] = round(Math.max(perSecond[k] ?? 0, s.rss), 0);
  }
  return {
    flood,
    memory: {
      beforeMiB: round(before.rss, 0), peakMiB: round(Math.max(before.rss, ...samples.map((s) => s.rss)), 0), afterMiB: round(after.rss, 0),
      lifetimePeakMiB: round(after.hwm, 0), samples: samples.length, perSecondPeakMiB: Array.from(perSecond, (v) => v ?? 0),
    },
    ...(window as FloodWindow),
  };
}

type Sample = { at: number; cp: ReturnType<ControlPlaneChild['cpu']>; bench: NodeJS.CpuUsage; host: ReturnType<typeof hostSnapshot>; cores: ReturnType<typeof cpuTicks> };

/** CPU use between two samples: the control plane, its core, and who else ran on the machine. */
function during(cpPid: number, a: Sample, b: Sample, cores: Cores | null): FloodWindow {
  const wallS = (b.at - a.at) / 1000;
  const pct = (s: number): number => round((100 * s) / wallS, 1);
  const cpPct = pct(b.cp.processS - a.cp.processS);
  const benchPct = pct((b.bench.user - a.bench.user + b.bench.system - a.bench.system) / 1e6);
  const busy = (cpu: string | undefined): number | null => (cpu === undefined ? null : cpuBusyPct(a.cores, b.cores, Number(cpu)));
  const cpCore = busy(cores?.controlPlane);
  return {
    controlPlane: { cpuPct: cpPct, mainThreadBusyPct: pct(b.cp.mainThreadS - a.cp.mainThreadS) },
    host: {
      // The generator is the bench's child and the game servers the control plane's: counted as ours.
      ...hostUsage(a.host, b.host, wallS, [process.pid, cpPid], cpPct + benchPct),
      controlPlaneCoreBusyPct: cpCore,
      controlPlaneCoreOthersPct: cpCore === null ? null : Math.max(0, round(cpCore - cpPct, 0)),
      generatorCoreBusyPct: busy(cores?.generator),
    },
  };
}
