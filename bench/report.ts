/**
 * Results as committed files: latest.json (everything, for tooling and diffs) and latest.md
 * (the same numbers for people). Absolute numbers move with the machine; compare runs by the
 * ratios, which are measured within one run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ShutdownReport } from './control-plane.js';
import { NOISY_PCT } from './host.js';
import { renderEndpoint, type EndpointResult } from './endpoint.js';
import type { PhaseResult } from './measure.js';
import { renderScale, type ScaleResult } from './scale.js';
import type { OverloadResult } from './overload.js';
import { renderOverload } from './overload-report.js';
import type { ProfileSummary, Share } from './profile.js';
import { round, type LatencySummary } from './stats.js';
import type { SwitchResult } from './switch.js';

export { NOISY_PCT };

/** The phases `--only` can pick (a comma list of them). */
export const ONLY_PHASES = ['overload', 'fleet-size', 'endpoint'] as const;
export type OnlyPhase = (typeof ONLY_PHASES)[number];

export interface Parameters {
  requests: number;
  warmup: number;
  concurrency: number[];
  ratePerS: number;
  switchClients: number;
  servers: number;
  sessionsPerServer: number;
  profile: boolean;
  profileRequests: number;
  /** 0: the overload phase was skipped. */
  overloadSeconds: number;
  /** `--only X,Y`: only those phases ran (plus, for `endpoint`, the fleet set-up and a warm-up). */
  only: OnlyPhase[] | null;
}

export interface Environment {
  date: string;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  gitCommit: string | null;
  gitDirty: boolean | null;
  /** Uncommitted changes outside bench/: the code measured is not exactly gitCommit. */
  dirtyFiles: string[];
  /** The SQLite `synchronous` pragma as the store's source sets it (durability and fsync cost depend on it). */
  storeSynchronous: string | null;
  /** Filesystem of the data dir: fsync cost depends on it. */
  dataDirFs: string | null;
}

export interface Verdict {
  phase: string;
  pass: boolean;
  why: string;
}

export interface BenchResults {
  environment: Environment;
  parameters: Parameters;
  target: { allocationsPerS: number; p99Ms: number };
  setup: { fleetReadyMs: number };
  /** fdatasync latency of the data dir's disk, measured just before the control plane started. */
  disk: LatencySummary & { over20ms: number };
  phases: PhaseResult[];
  verdicts: Verdict[];
  /** The open-loop phase at the target rate decides: it is the target's own shape. */
  overall: 'PASS' | 'MISS' | 'ERROR' | 'SKIPPED';
  ratios: Record<string, number>;
  switch: SwitchResult | null;
  profile: { phase: PhaseResult; summary: ProfileSummary; file: string } | null;
  /** Issue 8: allocation against fleet size, and against a bare endpoint. */
  fleetSize: ScaleResult | null;
  endpoint: EndpointResult | null;
  overload: OverloadResult | null;
  shutdown: ShutdownReport | null;
  errors: string[];
}

export function environment(root: string, dataDir: string): Environment {
  const raw = (cmd: string, args: string[]): string | null => {
    try {
      return execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return null;
    }
  };
  const run = (cmd: string, args: string[]): string | null => raw(cmd, args)?.trim() ?? null;
  const status = run('git', ['status', '--porcelain']);
  // Not trimmed: each porcelain line starts with a two-letter status that may begin with a space.
  // node_modules: a worktree's symlink to the main checkout's is not matched by `node_modules/`.
  const dirty = raw('git', ['status', '--porcelain', '--', '.', ':!bench', ':!node_modules']);
  let synchronous: string | null = null;
  try {
    synchronous = /synchronous\s*=\s*(\w+)/.exec(readFileSync(path.join(root, 'src/store/sqlite/sqlite-store.ts'), 'utf8'))?.[1] ?? null;
  } catch {
    synchronous = null;
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    gitCommit: run('git', ['rev-parse', 'HEAD']),
    gitDirty: status === null ? null : status !== '',
    dirtyFiles: (dirty ?? '').split('\n').filter((l) => l.length > 3).map((l) => l.slice(3)),
    storeSynchronous: synchronous,
    dataDirFs: run('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '-T', dataDir])?.replace(/\s+/g, ' ') ?? null,
  };
}

export function judge(p: PhaseResult, target: BenchResults['target']): Verdict {
  const v = judgeNumbers(p, target);
  return p.host.othersPct >= NOISY_PCT ? { ...v, why: `${v.why} (disturbed: other processes used ${p.host.othersPct}% of a core)` } : v;
}

function judgeNumbers(p: PhaseResult, target: BenchResults['target']): Verdict {
  const failed = p.requests - p.ok;
  const lat = `p99 ${p.latency.p99Ms} ms ${p.latency.p99Ms <= target.p99Ms ? '≤' : '>'} ${target.p99Ms} ms`;
  if (p.load.kind === 'open') {
    // The last answers land after the schedule ends, so allow 1% for that tail.
    const kept = p.throughputPerS >= 0.99 * p.load.ratePerS;
    const pass = failed === 0 && kept && p.latency.p99Ms <= target.p99Ms;
    return { phase: p.name, pass, why: `offered ${p.load.ratePerS}/s, answered ${p.throughputPerS}/s, ${lat}${failed ? `, ${failed} failed` : ''}` };
  }
  const pass = failed === 0 && p.throughputPerS >= target.allocationsPerS && p.latency.p99Ms <= target.p99Ms;
  return { phase: p.name, pass, why: `${p.throughputPerS}/s ${p.throughputPerS >= target.allocationsPerS ? '≥' : '<'} ${target.allocationsPerS}/s, ${lat}${failed ? `, ${failed} failed` : ''}` };
}

const fmt = (v: number | null | undefined, unit = ''): string => (v === null || v === undefined || Number.isNaN(v) ? '–' : `${v}${unit}`);
const errs = (e: Record<string, number>): string => Object.entries(e).map(([k, v]) => `${k}×${v}`).join(', ') || '0';
const loadName = (p: PhaseResult): string => (p.load.kind === 'closed' ? `closed, C=${p.load.concurrency}` : `open, ${p.load.ratePerS}/s`);

export function renderMarkdown(r: BenchResults): string {
  const e = r.environment;
  const L: string[] = [];
  L.push('# Handoff allocation benchmark', '');
  L.push(`- Date: ${e.date}`);
  L.push(`- Commit: ${e.gitCommit ?? 'unknown'}${e.dirtyFiles.length > 0 ? `, plus uncommitted changes to ${e.dirtyFiles.join(', ')}` : ''}`);
  L.push(`- Node ${e.node}, ${e.platform}, ${e.cpus} CPUs (${e.cpuModel}), ${e.memoryGiB} GiB`);
  L.push(`- Store: SQLite WAL, \`synchronous = ${e.storeSynchronous ?? '?'}\` in src/store/sqlite/sqlite-store.ts, data dir on ${e.dataDirFs ?? 'unknown'}; the disk's own fdatasync (8 KiB, 3 s before the run): p50 ${r.disk.p50Ms} ms, p99 ${r.disk.p99Ms} ms, max ${r.disk.maxMs} ms, ${r.disk.over20ms} of ${r.disk.count} over 20 ms`);
  const p = r.parameters;
  L.push(`- Parameters: ${p.requests} allocations per phase after ${p.warmup} warm-up; closed loop at C=${p.concurrency.join(', ')}; open loop at ${p.ratePerS}/s; ${p.servers} servers × ${p.sessionsPerServer} sessions; switch stream ${p.switchClients} clients${p.profile ? `; profiled phase ${p.profileRequests} allocations` : ''}; overload ${p.overloadSeconds > 0 ? `${p.overloadSeconds} s` : 'skipped'}`);
  L.push('- Load generator and control plane are separate processes on the same machine (they share its cores); HTTP/1.1 keep-alive, node:http client.', '');

  if (r.fleetSize) L.push(...renderScale(r.fleetSize), '');
  if (r.endpoint) L.push(...renderEndpoint(r.endpoint), '');
  if (r.phases.length > 0) L.push(...renderAllocation(r));
  else L.push(`Allocation phases not run (\`--only ${r.parameters.only?.join(',') ?? ''}\`).`);
  if (r.switch) L.push('', ...renderSwitch(r.switch));
  if (r.profile) L.push('', ...renderProfile(r.profile));
  if (r.overload) L.push('', ...renderOverload(r.overload));

  L.push('', '## Cleanup', '');
  if (r.shutdown) {
    const s = r.shutdown;
    L.push(`- SIGTERM → exit: ${s.exitMs === null ? 'did not exit in time (SIGKILLed)' : `${round(s.exitMs, 0)} ms`} (code ${s.exitCode}, signal ${s.exitSignal})`);
    L.push(`- Game servers left running: ${s.leftoverServerPids.length === 0 ? 'none' : s.leftoverServerPids.join(', ') + ' (stopped by the bench)'}`);
    for (const pr of s.problems) L.push(`- PROBLEM: ${pr}`);
  }
  if (r.errors.length > 0) {
    L.push('', '## Errors', '');
    for (const err of r.errors) L.push(`- ${err}`);
  }
  return `${L.join('\n')}\n`;
}

function renderAllocation(r: BenchResults): string[] {
  const e = r.environment;
  const L: string[] = [];
  L.push(`## Target: ≥ ${r.target.allocationsPerS} allocations/s with p99 ≤ ${r.target.p99Ms} ms — **${r.overall}**`, '');
  for (const v of r.verdicts) L.push(`- ${v.pass ? 'PASS' : 'MISS'} ${v.phase}: ${v.why}`);
  const noisy = r.phases.filter((ph) => ph.host.othersPct >= NOISY_PCT);
  if (noisy.length > 0) {
    L.push('', `**Noisy machine:** other processes used ≥ ${NOISY_PCT}% of a core during ${noisy.map((ph) => `${ph.name} (${ph.host.othersPct}%)`).join(', ')}. Absolute numbers of those phases understate the control plane; see the machine table.`);
  }
  L.push('', 'The open-loop phase decides: requests are sent on a fixed schedule and latency counts from the scheduled time, so it is the target as stated. Closed-loop phases show the ceiling at a given concurrency (there, throughput × mean latency = concurrency).', '');

  L.push('## Allocation phases', '');
  L.push(`| phase | load | ok / sent | errors | alloc/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | over ${r.target.p99Ms} ms (in how many 100 ms windows) | commits over 20 / 100 ms |`);
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const ph of r.phases) {
    const l = ph.latency;
    const slow = `${ph.slow.count} (${ph.slow.windows100ms})`;
    L.push(`| ${ph.name} | ${loadName(ph)} | ${ph.ok} / ${ph.requests} | ${errs(ph.errors)} | ${ph.throughputPerS} | ${fmt(l.p50Ms)} | ${fmt(l.p90Ms)} | ${fmt(l.p99Ms)} | ${fmt(l.p999Ms)} | ${fmt(l.maxMs)} | ${slow} | ${ph.server.slowCommits.over20ms} / ${ph.server.slowCommits.over100ms} |`);
  }
  L.push('', 'Slow requests bunched into a few 100 ms windows, next to slow commits, are stalls (commits are durable in order, so one slow fsync holds up every allocation behind it); spread over many windows they are steady overload.');
  const open = r.phases.find((ph) => ph.serviceLatency !== null);
  if (open?.serviceLatency) {
    const s = open.serviceLatency;
    L.push('', `Open loop measured from the actual send instead of the schedule: p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms.`);
  }
  L.push('', '### Where the time goes (server side, same windows)', '');
  L.push('| phase | wall µs/alloc | server CPU µs/alloc | main thread CPU µs/alloc | in commits µs/alloc | main thread on CPU | wall time in commits | commits | mean batch | commit ms (mean) | allocator ms (mean) | GC ms | loop lag p99 / max ms |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const ph of r.phases) {
    const s = ph.server;
    L.push(`| ${ph.name} | ${round(1e6 / ph.throughputPerS, 0)} | ${s.cpuPerAllocUs} | ${s.mainThreadCpuPerAllocUs} | ${s.commitUsPerAlloc} | ${s.mainThreadBusyPct}% | ${s.commitSharePct}% | ${s.commits} | ${s.meanBatch} | ${s.commitMsMean} | ${s.allocatorMsMean} | ${s.gcMs} | ${fmt(s.eventLoopLagP99Ms)} / ${fmt(s.eventLoopLagMaxMs)} |`);
  }
  L.push('', 'One thread (the event loop) parses HTTP, routes, validates, decides and serialises every allocation; "wall µs/alloc" is that thread\'s whole budget per allocation at the measured rate, to compare with its CPU per allocation. Commit columns are wall time from the start of a group commit until it is durable (statements, COMMIT, fsync), from handoff_store_commit_duration_seconds; how much of it blocks the event loop depends on the store (the profile below tells: blocked time is charged to the SQLite commit, unblocked time is idle). "allocator ms" is the server\'s own request-to-durable-answer histogram (decision + wait for the group commit).', '');
  L.push('### The machine during each phase (CPU % of one core; this machine has ' + `${e.cpus} cores = ${e.cpus * 100}%)`, '');
  L.push('| phase | control plane | load generator | machine busy | other processes | busiest neighbours | deletes/s after |');
  L.push('|---|---|---|---|---|---|---|');
  for (const ph of r.phases) {
    const n = ph.host.neighbours.map((x) => `${x.cpuPct}% \`${x.command.slice(0, 60)}\``).join('; ') || '–';
    L.push(`| ${ph.name} | ${ph.server.processCpuPct}% | ${ph.clientCpuPct}% | ${ph.host.machineBusyPct}% | ${ph.host.othersPct}% | ${n} | ${ph.cleanup.perS} |`);
  }
  L.push('', 'Anything under "other processes" is CPU the control plane could not have: on a shared machine its latency then includes waiting for a core. The total comes from the machine\'s counters; processes that started and ended inside the phase are in it but cannot be named.', '');
  L.push('### Group commit (handoff_store_commit_mutations)', '');
  L.push('| phase | commits | mutations | mean | p50 ≤ | p90 ≤ | p99 ≤ | distribution (le: commits) |');
  L.push('|---|---|---|---|---|---|---|---|');
  for (const ph of r.phases) {
    const h = ph.server.batchHistogram;
    const dist = h.buckets.filter((b) => b.count > 0).map((b) => `${b.le}: ${b.count}`).join(', ');
    L.push(`| ${ph.name} | ${h.count} | ${h.sum} | ${round(h.mean, 1)} | ${h.p50} | ${h.p90} | ${h.p99} | ${dist} |`);
  }

  L.push('', '## Ratios (within this run)', '');
  for (const [k, v] of Object.entries(r.ratios)) L.push(`- ${k}: ${v}`);
  return L;
}

function renderSwitch(s: SwitchResult): string[] {
  const L = ['## Blue-green switch under load', ''];
  L.push(`Stream: ${s.stream.clients} clients, ${s.stream.answers} allocations at ${s.stream.perS}/s (old build ${s.stream.oldBuild}, new build ${s.stream.newBuild}, errors ${errs(s.stream.errors)}); latency p50 ${s.stream.latency.p50Ms} ms, p99 ${s.stream.latency.p99Ms} ms, max ${s.stream.latency.maxMs} ms.`, '');
  L.push('| measure | ms |', '|---|---|');
  L.push(`| rollout created → readyAt (new servers provisioned) | ${fmt(s.provisioningMs)} |`);
  L.push(`| last new server Ready → rollout readyAt (reconciler noticing) | ${fmt(s.serversReadyToRolloutReadyMs)} |`);
  L.push(`| switchedAt − readyAt (API) | ${fmt(s.switchedMinusReadyMs)} |`);
  L.push(`| readyAt → first allocation answered with the new build | ${fmt(s.readyToFirstNewBuildAnswerMs)} |`);
  L.push(`| … of which readyAt → allocator's first new-build decision (session openedAt) | ${fmt(s.readyToFirstNewBuildDecisionMs)} |`);
  L.push(`| … of which that decision → its answer at the client (group commit + response) | ${fmt(s.firstNewBuildDecisionToAnswerMs)} |`);
  L.push(`| switchedAt → first allocation answered with the new build | ${fmt(s.switchedToFirstNewBuildAnswerMs)} |`);
  L.push(`| last old-build decision → first new-build decision (no allocation decided in between) | ${fmt(s.decisionGapMs)} |`);
  L.push('', `Old-build answers after the first new-build answer: ${s.oldAfterFirstNew.received} received later, ${s.oldAfterFirstNew.sentAfter} for requests sent after it — switch ${s.monotonic ? 'is clean (PASS)' : 'NOT clean (FAIL)'}. Server times have 1 ms resolution.`);
  if (s.timeline.length > 0) {
    L.push('', 'Control-plane events from the rollout\'s start (ms relative to readyAt):', '', '| ms | event | subject | message |', '|---|---|---|---|');
    for (const ev of s.timeline) L.push(`| ${fmt(ev.atMs)} | ${ev.kind} | ${ev.subject} | ${ev.message} |`);
  }
  L.push('', `Retiring the old build after its sessions were deleted: ${s.retire.completed ? `completed in ${s.retire.waitedMs} ms` : `NOT completed after ${s.retire.waitedMs} ms (phase ${s.retire.phase}: ${s.retire.message})`}.`);
  return L;
}

function renderProfile(p: NonNullable<BenchResults['profile']>): string[] {
  const L = ['## CPU profile of the control plane (main thread)', ''];
  L.push(`Phase "${p.phase.name}" (${loadName(p.phase)}): ${p.phase.throughputPerS} alloc/s under the profiler; ${p.summary.wallMs} ms sampled, ${p.summary.busyMs} ms busy. Full profile: \`${p.file}\` (open in Chrome DevTools → Performance).`, '');
  const table = (title: string, rows: Share[]): string[] => [`**${title}**`, '', '| | ms | % of sampled |', '|---|---|---|', ...rows.map((r) => `| \`${r.name}\` | ${r.ms} | ${r.pct}% |`), ''];
  L.push(...table('By purpose', p.summary.byGroup));
  L.push(...table('By package / source directory (native frames charged to their caller)', p.summary.byCategory));
  L.push(...table('Top self time', p.summary.topSelf));
  L.push(...table('Project code, inclusive', p.summary.topInclusiveProject));
  return L;
}
