/**
 * The overload phase (issue 5, point 4): what the control plane does when offered more
 * allocations than it can serve. It measures R, the rate it sustains (a short closed-loop
 * probe with the flood's own client, pinned as the flood will be), then offers 3×R open-loop from 1,000 pipelined sockets
 * (bench/flood.ts, its own process on the other core) and afterwards normal traffic at 0.5×R.
 * Reported against the targets: accepted allocations keep p99 ≤ 50 ms, the excess is answered
 * at once with 429/503 and Retry-After, memory stays under a ceiling, and normal traffic
 * recovers within 1 s of the flood's end. Targets are reported, not asserted: only a crash (the
 * generator or the control plane dying) is an error.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlaneChild } from './control-plane.js';
import type { FloodConfig, FloodReport } from './flood.js';
import { runFlood, runProbe, type FloodWindow, type MemoryReport } from './generator.js';
import { NOISY_PCT } from './host.js';
import { Pinning, childrenOf, planCores } from './pin.js';
import type { ProbeConfig, ProbeReport } from './probe.js';
import { round } from './stats.js';

export const OVERLOAD = {
  durationS: 30,
  factor: 3,
  connections: 1_000,
  /** After the flood, how long its sockets wait for answers before they count as UNANSWERED. */
  drainS: 10,
  recovery: { factor: 0.5, durationS: 5 },
  /** 128 requests in flight: enough to fill the group commit, as the flood does. */
  probe: { warmup: 2_000, requests: 10_000, connections: 64, depth: 2 },
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
  /** Closed loop, pinned as the flood is: R is its throughput. */
  probe: ProbeReport;
  sustainedPerS: number;
  offeredPerS: number;
  fleet: { servers: number; capacity: number; readyMs: number };
  flood: FloodReport;
  memory: MemoryReport;
  controlPlane: FloodWindow['controlPlane'];
  host: FloodWindow['host'];
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
  try {
    pinAll();
    o.log(pinned.note ?? `pinned: control plane on CPU ${pinned.controlPlaneCpus}, load generator, bench and game servers on CPU ${pinned.generatorCpus}`);
    const { warmup, requests, connections, depth } = OVERLOAD.probe;
    const probeCfg: ProbeConfig = { url: cp.url, fleet: OVERLOAD.fleet, playerPrefix: `${o.runId}-ovp`, connections, depth, warmup, requests };
    const probe = await runProbe(o.root, probeCfg, pinned.generatorCpus);
    const r = probe.throughputPerS;
    if (!(r > 0)) throw new Error(`overload probe: no allocation succeeded (${JSON.stringify(probe.errors)})`);
    o.log(`overload: sustained rate R = ${r}/s (closed loop, ${connections}×${depth} pipelined, p99 ${probe.latency.p99Ms} ms, errors ${JSON.stringify(probe.errors)})`);
    // Room for every allocation the control plane could possibly accept (the probe's, R for
    // the flood and its drain, the recovery traffic) with a margin: a full fleet would answer
    // NO_CAPACITY, which looks like shedding and would hide the overload.
    const expected = warmup + requests + r * (o.durationS + OVERLOAD.drainS + OVERLOAD.recovery.factor * OVERLOAD.recovery.durationS) * 1.1;
    const servers = Math.max(2, Math.ceil(expected / OVERLOAD.sessionsPerServer));
    const readyMs = await applyFleet(cp, fixture, servers);
    pinAll();
    o.log(`overload: fleet of ${servers} servers (${servers * OVERLOAD.sessionsPerServer} sessions) Ready in ${readyMs} ms`);

    const cfg: FloodConfig = {
      url: cp.url, fleet: OVERLOAD.fleet, playerPrefix: `${o.runId}-ov`, connections: OVERLOAD.connections,
      ratePerS: Math.round(OVERLOAD.factor * r), durationS: o.durationS, drainS: OVERLOAD.drainS,
      recovery: {
        url: cp.url, fleet: OVERLOAD.fleet, playerPrefix: `${o.runId}-ovr`,
        ratePerS: Math.max(1, Math.round(OVERLOAD.recovery.factor * r)), durationS: OVERLOAD.recovery.durationS, normalMs: o.normalMs,
      },
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

export function judgeOverload(r: OverloadResult): OverloadVerdict[] {
  const t = r.targets;
  const f = r.flood;
  const cmp = (v: number | null, limit: number): string => (v !== null && v <= limit ? '≤' : '>');
  const acc = f.accepted;
  const rec = f.recovery.recoveredAfterMs;
  const withRA = f.shed.total - f.shed.withoutRetryAfter;
  const core = r.host.controlPlaneCoreOthersPct;
  const disturbed = Math.max(core ?? 0, r.host.othersPct) >= NOISY_PCT
    ? ` (disturbed: other processes used ${core === null ? '' : `${core}% of the control plane's core, `}${r.host.othersPct}% of a core machine-wide)`
    : '';
  // Latency counts from the due time, so a generator behind its schedule adds its own lag.
  const lagged = f.sent.sendLagP99Ms > 10 ? `; the generator lagged its schedule by p99 ${f.sent.sendLagP99Ms} ms: from the actual write, p99 ${acc.fromWriteLatency.p99Ms} ms` : '';
  const verdicts: OverloadVerdict[] = [
    {
      target: `accepted allocations p99 ≤ ${t.acceptedP99Ms} ms`,
      pass: acc.total > 0 && acc.latency.p99Ms <= t.acceptedP99Ms && f.unanswered === 0,
      why: `${acc.total} accepted (${acc.perS}/s during the flood, ${round(acc.perS / r.sustainedPerS, 2)}×R)${acc.total === 0 ? '' : `, p99 ${acc.latency.p99Ms} ms ${cmp(acc.latency.p99Ms, t.acceptedP99Ms)} ${t.acceptedP99Ms} ms`}${f.unanswered > 0 ? `; ${f.unanswered} requests still unanswered ${r.settings.drainS} s after the flood (not in the p99)` : ''}${lagged}`,
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
