/**
 * The overload phase (issue 5, point 4): what the control plane does when offered more
 * allocations than it can serve. It measures R, the rate it sustains (a short closed-loop
 * probe, pinned as the flood will be), then offers 3×R open-loop from 1,000 pipelined sockets
 * (bench/flood.ts, its own process on the other core) and afterwards normal traffic at 0.5×R.
 * Reported against the targets: accepted allocations keep p99 ≤ 50 ms, the excess is answered
 * at once with 429/503 and Retry-After, memory stays under a ceiling, and normal traffic
 * recovers within 1 s of the flood's end. Targets are reported, not asserted: only a crash (the
 * generator or the control plane dying) is an error.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlaneChild } from './control-plane.js';
import type { FloodConfig, FloodReport } from './flood.js';
import { NOISY_PCT, cpuBusyPct, cpuTicks, hostSnapshot, hostUsage, readStat, type HostUsage } from './host.js';
import { HttpClient } from './http-load.js';
import { runPhase, type PhaseResult } from './measure.js';
import { Pinning, childrenOf, planCores, type Cores } from './pin.js';
import { round } from './stats.js';

export const OVERLOAD = {
  durationS: 30,
  factor: 3,
  connections: 1_000,
  /** After the flood, how long its sockets wait for answers before they count as UNANSWERED. */
  drainS: 10,
  recovery: { factor: 0.5, durationS: 5 },
  probe: { warmup: 2_000, requests: 10_000, concurrency: 64 },
  targets: { acceptedP99Ms: 50, rssCeilingMiB: 512, recoveryMs: 1_000 },
  fleet: 'overload',
  build: 'overload-v1',
  /** The most a build allows (src/api/schemas.ts): the fleet is sized so capacity never runs out. */
  sessionsPerServer: 10_000,
} as const;

export interface OverloadVerdict {
  target: string;
  pass: boolean;
  why: string;
}

export interface OverloadResult {
  settings: { durationS: number; factor: number; connections: number; drainS: number; recoveryFactor: number; recoveryDurationS: number; normalMs: number };
  targets: typeof OVERLOAD.targets;
  pinning: { controlPlaneCpus: string | null; generatorCpus: string | null; note: string | null };
  /** Closed loop, C=64, pinned as the flood is: R is its throughput. */
  probe: PhaseResult;
  sustainedPerS: number;
  offeredPerS: number;
  fleet: { servers: number; capacity: number; readyMs: number };
  flood: FloodReport;
  memory: { beforeMiB: number; peakMiB: number; afterMiB: number; lifetimePeakMiB: number; samples: number; perSecondPeakMiB: number[] };
  /** Over the flood's sending window, % of one core. */
  controlPlane: { cpuPct: number; mainThreadBusyPct: number };
  /**
   * The machine over the same window. Pinned, the control plane cannot move away from a busy
   * core: `controlPlaneCoreOthersPct` is what other processes took of its core.
   */
  host: HostUsage & { controlPlaneCoreBusyPct: number | null; controlPlaneCoreOthersPct: number | null; generatorCoreBusyPct: number | null };
  verdicts: OverloadVerdict[];
}

export interface OverloadOptions {
  root: string;
  runId: string;
  durationS: number;
  /** Latency of normal traffic (the bench's own p99 target): recovery means back under it. */
  normalMs: number;
  log: (m: string) => void;
}

export async function runOverload(cp: ControlPlaneChild, o: OverloadOptions): Promise<OverloadResult> {
  const fixture = path.join(o.root, 'bench', 'fixtures', 'bench-server.mjs');
  await applyFleet(cp, fixture, 2);
  const cores = planCores();
  const pinning = new Pinning();
  const pinned = 'note' in cores ? { controlPlaneCpus: null, generatorCpus: null, note: cores.note } : { controlPlaneCpus: cores.controlPlane, generatorCpus: cores.generator, note: null };
  const pinAll = (): void => {
    if ('note' in cores) return;
    pinning.set(cp.pid, cores.controlPlane);
    for (const pid of [process.pid, ...childrenOf(cp.pid)]) pinning.set(pid, cores.generator);
  };
  const client = new HttpClient(cp.url, OVERLOAD.probe.concurrency);
  try {
    pinAll();
    o.log(pinned.note ?? `pinned: control plane on CPU ${pinned.controlPlaneCpus}, load generator, bench and game servers on CPU ${pinned.generatorCpus}`);
    const probeSpec = { fleet: OVERLOAD.fleet, targetMs: o.normalMs };
    await runPhase(cp, client, { ...probeSpec, name: 'overload warm-up', load: { kind: 'closed', concurrency: 16 }, requests: OVERLOAD.probe.warmup, playerPrefix: `${o.runId}-ovw` });
    const probe = await runPhase(cp, client, { ...probeSpec, name: `overload probe closed C=${OVERLOAD.probe.concurrency}`, load: { kind: 'closed', concurrency: OVERLOAD.probe.concurrency }, requests: OVERLOAD.probe.requests, playerPrefix: `${o.runId}-ovp` });
    const r = probe.throughputPerS;
    o.log(`overload: sustained rate R = ${r}/s (closed loop C=${OVERLOAD.probe.concurrency}, p99 ${probe.latency.p99Ms} ms)`);
    // Room for every allocation the control plane could possibly accept: R for the flood and
    // its drain, plus the recovery traffic, with a margin. A full fleet (NO_CAPACITY) would
    // look like shedding and hide the overload.
    const expected = r * (o.durationS + OVERLOAD.drainS + OVERLOAD.recovery.factor * OVERLOAD.recovery.durationS) * 1.2;
    const servers = Math.max(2, Math.ceil(expected / OVERLOAD.sessionsPerServer));
    const readyMs = await applyFleet(cp, fixture, servers);
    pinAll();
    o.log(`overload: fleet of ${servers} servers (${servers * OVERLOAD.sessionsPerServer} sessions) Ready in ${readyMs} ms`);

    const cfg: FloodConfig = {
      url: cp.url, fleet: OVERLOAD.fleet, playerPrefix: `${o.runId}-ov`, connections: OVERLOAD.connections,
      ratePerS: Math.round(OVERLOAD.factor * r), durationS: o.durationS, drainS: OVERLOAD.drainS,
      recovery: { ratePerS: Math.max(1, Math.round(OVERLOAD.recovery.factor * r)), durationS: OVERLOAD.recovery.durationS, normalMs: o.normalMs },
    };
    o.log(`overload: offering ${cfg.ratePerS}/s for ${cfg.durationS} s from ${cfg.connections} pipelined connections, then ${cfg.recovery.ratePerS}/s normal traffic`);
    const { flood, memory, controlPlane, host } = await runFlood(cp, o.root, cfg, 'note' in cores ? null : cores, o.log);
    const result: OverloadResult = {
      settings: { durationS: o.durationS, factor: OVERLOAD.factor, connections: OVERLOAD.connections, drainS: OVERLOAD.drainS, recoveryFactor: OVERLOAD.recovery.factor, recoveryDurationS: OVERLOAD.recovery.durationS, normalMs: o.normalMs },
      targets: OVERLOAD.targets, pinning: pinned, probe, sustainedPerS: r, offeredPerS: cfg.ratePerS,
      fleet: { servers, capacity: servers * OVERLOAD.sessionsPerServer, readyMs }, flood, memory, controlPlane, host, verdicts: [],
    };
    result.verdicts = judgeOverload(result);
    return result;
  } finally {
    client.close();
    pinning.restore();
  }
}

async function applyFleet(cp: ControlPlaneChild, fixture: string, servers: number): Promise<number> {
  const started = performance.now();
  await cp.api('POST', '/v1/apply', {
    builds: [{ id: OVERLOAD.build, version: '1.0.0', sessionsPerServer: OVERLOAD.sessionsPerServer, launch: { executable: process.execPath, args: [fixture, 'overload'] } }],
    fleets: [{ name: OVERLOAD.fleet, build: OVERLOAD.build, capacity: { minServers: servers, maxServers: servers, bufferServers: 0 }, health: { stopGraceSeconds: 2 } }],
  });
  for (;;) {
    const ready = (await cp.servers()).filter((s) => s.build === OVERLOAD.build && (s.state === 'Ready' || s.state === 'Active'));
    if (ready.length >= servers) return round(performance.now() - started, 0);
    if (performance.now() - started > 120_000) throw new Error(`overload fleet: ${ready.length} of ${servers} servers Ready after 120 s`);
    await sleep(100);
  }
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

interface Flooded {
  flood: FloodReport;
  memory: OverloadResult['memory'];
  controlPlane: OverloadResult['controlPlane'];
  host: OverloadResult['host'];
}

/** Runs bench/flood.ts and samples the control plane's memory every 100 ms meanwhile. */
async function runFlood(cp: ControlPlaneChild, root: string, cfg: FloodConfig, cores: Cores | null, log: (m: string) => void): Promise<Flooded> {
  const before = memoryOf(cp.pid);
  if (before === null) throw new Error('control plane gone before the flood');
  const samples: { atMs: number; rss: number }[] = [];
  const t0 = performance.now();
  let floodStartMs = 0;
  const sampler = setInterval(() => {
    const m = memoryOf(cp.pid);
    if (m) samples.push({ atMs: performance.now() - t0, rss: m.rss });
  }, 100);
  const node = [process.execPath, '--import', 'tsx', path.join(root, 'bench', 'flood.ts'), JSON.stringify(cfg)];
  const child = cores === null ? spawn(node[0] ?? '', node.slice(1), { cwd: root }) : spawn('taskset', ['-c', cores.generator, ...node], { cwd: root });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  let report: FloodReport | null = null;
  const sample = () => ({ at: performance.now(), cp: cp.cpu(), bench: process.cpuUsage(), host: hostSnapshot(), cores: cpuTicks() });
  let w0 = sample();
  let window: Pick<Flooded, 'controlPlane' | 'host'> | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const ev = JSON.parse(line) as { event: string; report?: FloodReport; connected?: number };
    if (ev.event === 'connected') log(`overload: ${ev.connected} of ${cfg.connections} connections open`);
    if (ev.event === 'flood-start') {
      floodStartMs = performance.now() - t0;
      w0 = sample();
    }
    if (ev.event === 'flood-end') {
      window = during(cp.pid, w0, sample(), cores);
      log('overload: flood over; draining and measuring recovery');
    }
    if (ev.event === 'result' && ev.report) report = ev.report;
  });
  const limitMs = (cfg.durationS + cfg.drainS + cfg.recovery.durationS + 60) * 1000;
  const exit = await Promise.race([
    new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    sleep(limitMs, 'timeout' as const),
  ]);
  clearInterval(sampler);
  if (exit === 'timeout') child.kill('SIGKILL');
  const after = memoryOf(cp.pid);
  const state = readStat(`/proc/${cp.pid}/stat`)?.state;
  if (after === null || state === undefined || state === 'Z') throw new Error(`the control plane died during the overload phase:\n${cp.stderr().slice(-20).join('\n')}`);
  if (window === null) throw new Error('load generator never reported the end of the flood');
  if (report === null) throw new Error(`load generator ${exit === 'timeout' ? `still running after ${limitMs / 1000} s` : `exited with code ${exit}`} without a report:\n${stderr.join('').slice(-4000)}`);
  const sinceFlood = samples.filter((s) => s.atMs >= floodStartMs);
  const perSecond: number[] = [];
  for (const s of sinceFlood) {
    const k = Math.floor((s.atMs - floodStartMs) / 1000);
    perSecond[k] = round(Math.max(perSecond[k] ?? 0, s.rss), 0);
  }
  return {
    flood: report,
    memory: {
      beforeMiB: round(before.rss, 0), peakMiB: round(Math.max(before.rss, ...samples.map((s) => s.rss)), 0), afterMiB: round(after.rss, 0),
      lifetimePeakMiB: round(after.hwm, 0), samples: samples.length, perSecondPeakMiB: Array.from(perSecond, (v) => v ?? 0),
    },
    ...(window as Pick<Flooded, 'controlPlane' | 'host'>),
  };
}

type Sample = { at: number; cp: ReturnType<ControlPlaneChild['cpu']>; bench: NodeJS.CpuUsage; host: ReturnType<typeof hostSnapshot>; cores: ReturnType<typeof cpuTicks> };

/** CPU use between two samples: the control plane, its core, and who else ran on the machine. */
function during(cpPid: number, a: Sample, b: Sample, cores: Cores | null): Pick<Flooded, 'controlPlane' | 'host'> {
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

export function judgeOverload(r: OverloadResult): OverloadVerdict[] {
  const t = r.targets;
  const f = r.flood;
  const cmp = (v: number | null, limit: number): string => (v !== null && v <= limit ? '≤' : '>');
  const acc = f.accepted;
  const rec = f.recovery.recoveredAfterMs;
  const withRA = f.shed.total - f.shed.withoutRetryAfter;
  const others = Math.max(r.host.controlPlaneCoreOthersPct ?? 0, r.host.othersPct);
  const disturbed = others >= NOISY_PCT ? ` (disturbed: other processes used ${others}% of ${r.host.controlPlaneCoreOthersPct === null ? 'a core' : "the control plane's core"})` : '';
  const verdicts: OverloadVerdict[] = [
    {
      target: `accepted allocations p99 ≤ ${t.acceptedP99Ms} ms`,
      pass: acc.total > 0 && acc.latency.p99Ms <= t.acceptedP99Ms && f.unanswered === 0,
      why: `${acc.total} accepted (${acc.perS}/s during the flood, ${round(acc.perS / r.sustainedPerS, 2)}×R), p99 ${acc.latency.p99Ms} ms ${cmp(acc.latency.p99Ms, t.acceptedP99Ms)} ${t.acceptedP99Ms} ms${f.unanswered > 0 ? `; ${f.unanswered} requests still unanswered ${r.settings.drainS} s after the flood (not in the p99)` : ''}`,
    },
    {
      target: `control-plane memory ≤ ${t.rssCeilingMiB} MiB`,
      pass: r.memory.peakMiB <= t.rssCeilingMiB,
      why: `peak RSS ${r.memory.peakMiB} MiB ${cmp(r.memory.peakMiB, t.rssCeilingMiB)} ${t.rssCeilingMiB} MiB (${r.memory.beforeMiB} MiB before the flood)`,
    },
    {
      target: 'excess answered at once with Retry-After',
      pass: f.shed.total > 0 && f.shed.withoutRetryAfter === 0,
      why: f.shed.total === 0 ? 'nothing was shed: the excess waited in queues' : `${withRA} of ${f.shed.total} shed answers carried Retry-After; shed p99 ${f.shed.latency.p99Ms} ms`,
    },
    {
      target: `normal traffic recovers ≤ ${t.recoveryMs} ms after the flood`,
      pass: rec !== null && rec <= t.recoveryMs,
      why: rec === null
        ? `not recovered within ${r.settings.recoveryDurationS - 1} s (no 1 s stretch of ${f.recovery.ratePerS}/s all answered 2xx with p99 ≤ ${f.recovery.normalMs} ms)`
        : `recovered ${rec} ms after the flood ${cmp(rec, t.recoveryMs)} ${t.recoveryMs} ms (then 1 s of ${f.recovery.ratePerS}/s all 2xx, p99 ≤ ${f.recovery.normalMs} ms)`,
    },
  ];
  return verdicts.map((v) => ({ ...v, why: v.why + disturbed }));
}
