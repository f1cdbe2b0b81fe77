/**
 * One measured allocation phase: the load itself, plus what both processes and the machine
 * did meanwhile. Everything is a before/after delta over the same window, so the server-side
 * numbers (CPU per allocation, commit sizes, commit time, GC) line up with the client's.
 * Afterwards the phase's sessions are deleted, so every phase starts from the same world.
 */
import type { ControlPlaneChild } from './control-plane.js';
import { hostSnapshot, hostUsage, type HostUsage } from './host.js';
import { closedLoop, openLoop, type HttpClient, type LoadResult } from './http-load.js';
import { counterDelta, gauge, histogramDelta, parseProm, round, slowRequests, summarizeLatencies, type HistogramDelta, type LatencySummary, type SlowRequests } from './stats.js';

export type Load = { kind: 'closed'; concurrency: number } | { kind: 'open'; ratePerS: number };

export interface ServerSide {
  /** Whole-process CPU (all threads) per successful allocation. */
  cpuPerAllocUs: number;
  mainThreadCpuPerAllocUs: number;
  /** Share of the phase's wall time the main thread was on a CPU (100 = event loop saturated). */
  mainThreadBusyPct: number;
  processCpuPct: number;
  commits: number;
  mutations: number;
  meanBatch: number;
  commitMsMean: number;
  /** Share of wall time a group commit was in flight (blocking the event loop or not, depending on the store). */
  commitSharePct: number;
  /** Commit wall time (statements, COMMIT and its fsync) per allocation. */
  commitUsPerAlloc: number;
  batchHistogram: HistogramDelta;
  /** Commits slower than 20 ms and 100 ms (from handoff_store_commit_duration_seconds). */
  slowCommits: { over20ms: number; over100ms: number };
  /** handoff_allocation_duration_seconds: request to durable answer, inside the allocator. */
  allocatorMsMean: number;
  gcMs: number;
  eventLoopLagP99Ms: number | null;
  eventLoopLagMaxMs: number | null;
}

export interface PhaseResult {
  name: string;
  load: Load;
  requests: number;
  ok: number;
  errors: Record<string, number>;
  durationS: number;
  throughputPerS: number;
  latency: LatencySummary;
  /** Open loop: latency from the actual send (without waiting for a free connection). */
  serviceLatency: LatencySummary | null;
  slow: SlowRequests;
  server: ServerSide;
  clientCpuPct: number;
  /** CPU percentages are of one core. */
  host: HostUsage;
  cleanup: { deleted: number; perS: number; errors: Record<string, number> };
}

export interface PhaseSpec {
  name: string;
  load: Load;
  requests: number;
  fleet: string;
  /** Distinct per run and phase, so no request is ever a reconnect of an earlier player. */
  playerPrefix: string;
  /** Latency target: requests over it are counted and located in time. */
  targetMs: number;
  /** Run just around the load (e.g. start and stop a profiler), outside the metric scrapes. */
  around?: { before: () => Promise<void>; after: () => Promise<void> };
}

export async function runPhase(cp: ControlPlaneChild, client: HttpClient, spec: PhaseSpec): Promise<PhaseResult> {
  const sessionIds: string[] = [];
  const opts = {
    count: spec.requests,
    call: (i: number) => ({ method: 'POST' as const, path: '/v1/allocations', body: `{"fleet":"${spec.fleet}","playerId":"${spec.playerPrefix}-${i}"}` }),
    onOk: (_i: number, text: string) => sessionIds.push((JSON.parse(text) as { sessionId: string }).sessionId),
  };

  const m0 = parseProm(await cp.metrics());
  await spec.around?.before();
  // CPU is sampled inside the hooks: writing out a profile costs the server CPU that is not load.
  const cpu0 = cp.cpu();
  const client0 = process.cpuUsage();
  const host0 = hostSnapshot();
  const result: LoadResult = spec.load.kind === 'closed'
    ? await closedLoop(client, spec.load.concurrency, opts)
    : await openLoop(client, spec.load.ratePerS, opts);
  const cpu1 = cp.cpu();
  const client1 = process.cpuUsage(client0);
  const host1 = hostSnapshot();
  await spec.around?.after();
  const m1 = parseProm(await cp.metrics());

  const wall = result.durationS;
  const ok = Math.max(1, result.ok);
  const commits = histogramDelta(m0, m1, 'handoff_store_commit_mutations');
  const commitSeconds = counterDelta(m0, m1, 'handoff_store_commit_duration_seconds_sum');
  const allocSeconds = counterDelta(m0, m1, 'handoff_allocation_duration_seconds_sum');
  const allocCount = counterDelta(m0, m1, 'handoff_allocation_duration_seconds_count');
  const lagP99 = gauge(m1, 'handoff_process_nodejs_eventloop_lag_p99_seconds');
  const lagMax = gauge(m1, 'handoff_process_nodejs_eventloop_lag_max_seconds');
  const server: ServerSide = {
    cpuPerAllocUs: round(((cpu1.processS - cpu0.processS) * 1e6) / ok, 0),
    mainThreadCpuPerAllocUs: round(((cpu1.mainThreadS - cpu0.mainThreadS) * 1e6) / ok, 0),
    mainThreadBusyPct: round((100 * (cpu1.mainThreadS - cpu0.mainThreadS)) / wall, 1),
    processCpuPct: round((100 * (cpu1.processS - cpu0.processS)) / wall, 1),
    commits: commits.count,
    mutations: commits.sum,
    meanBatch: round(commits.mean, 1),
    commitMsMean: round((commitSeconds * 1000) / Math.max(1, commits.count), 2),
    commitSharePct: round((100 * commitSeconds) / wall, 1),
    commitUsPerAlloc: round((commitSeconds * 1e6) / ok, 0),
    batchHistogram: commits,
    slowCommits: slowCommits(histogramDelta(m0, m1, 'handoff_store_commit_duration_seconds')),
    allocatorMsMean: round((allocSeconds * 1000) / Math.max(1, allocCount), 2),
    gcMs: round(counterDelta(m0, m1, 'handoff_process_nodejs_gc_duration_seconds_sum') * 1000, 0),
    eventLoopLagP99Ms: lagP99 === null ? null : round(lagP99 * 1000, 1),
    eventLoopLagMaxMs: lagMax === null ? null : round(lagMax * 1000, 1),
  };

  const clientCpuPct = round((100 * (client1.user + client1.system)) / 1e6 / wall, 1);
  const deleted = await closedLoop(client, 64, {
    count: sessionIds.length,
    call: (i) => ({ method: 'DELETE', path: `/v1/sessions/${sessionIds[i] ?? ''}` }),
  });

  return {
    name: spec.name,
    load: spec.load,
    requests: result.sent,
    ok: result.ok,
    errors: result.errors,
    durationS: round(wall, 3),
    throughputPerS: round(result.ok / wall, 0),
    latency: roundSummary(summarizeLatencies(result.latenciesMs)),
    serviceLatency: result.serviceMs ? roundSummary(summarizeLatencies(result.serviceMs)) : null,
    slow: slowRequests(result.latenciesMs, result.sentAtMs, spec.targetMs),
    server,
    clientCpuPct,
    host: hostUsage(host0, host1, wall, [process.pid, cp.pid], clientCpuPct + server.processCpuPct),
    cleanup: { deleted: deleted.ok, perS: round(deleted.ok / deleted.durationS, 0), errors: deleted.errors },
  };
}

function slowCommits(h: HistogramDelta): ServerSide['slowCommits'] {
  const upTo = (le: number): number => h.buckets.filter((b) => Number(b.le) <= le).reduce((n, b) => n + b.count, 0);
  return { over20ms: h.count - upTo(0.02), over100ms: h.count - upTo(0.1) };
}

export function roundSummary(s: LatencySummary): LatencySummary {
  return {
    count: s.count, meanMs: round(s.meanMs), p50Ms: round(s.p50Ms), p90Ms: round(s.p90Ms),
    p99Ms: round(s.p99Ms), p999Ms: round(s.p999Ms), maxMs: round(s.maxMs),
  };
}
