/**
 * The `scale` and `safety` phases of `npm run bench` (issue 8, targets 3 and 4): run, judged
 * against their targets, and rendered as a section of latest.md. The scale phase runs in a child
 * process (its resident memory is its own); the safety campaign in this one.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { runSafety, type SafetyReport } from '../../src/sim/safety.js';
import { SCALE_ANCHOR, SCALE_TARGET, type ScaleResult } from './phase.js';

export const SAFETY_TARGET = { sessions: 3e8, interruptions: 0 };

export interface ScaleSection {
  target: typeof SCALE_TARGET;
  result: ScaleResult | null;
  error: string | null;
  /** `pass` null: a figure reported beside its anchor, with no target of its own. */
  verdicts: { figure: string; value: string; target: string; pass: boolean | null }[];
}

export interface SafetySection {
  target: typeof SAFETY_TARGET;
  full: boolean;
  report: SafetyReport;
  /** Wall-clock time 3×10^8 sessions would take at the measured rate. */
  fullRunEstimateHours: number | null;
}

export async function scalePhase(root: string, servers: number, sessions: number, log: (m: string) => void): Promise<ScaleSection> {
  const out = await new Promise<{ stdout: string; error: string | null }>((resolve) => {
    const child = execFile(process.execPath, ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', path.join(root, 'bench', 'scale', 'phase.ts'), '--servers', String(servers), '--sessions', String(sessions)],
      { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: (20 + Math.ceil(servers / 100_000) * 60) * 60_000 }, (e, stdout) => resolve({ stdout, error: e ? String(e) : null }));
    child.stderr?.on('data', (d: Buffer) => { for (const line of d.toString().split('\n')) if (line.trim()) log(line.replace(/^\[scale\] /, 'scale: ')); });
  });
  const last = out.stdout.trim().split('\n').pop() ?? '';
  let result: ScaleResult | null = null;
  try {
    result = JSON.parse(last) as ScaleResult;
  } catch {
    return { target: SCALE_TARGET, result: null, error: out.error ?? 'no result', verdicts: [] };
  }
  return judgeScale(result, out.error);
}

/** Each figure of a scale run beside its target and anchor. */
export function judgeScale(result: ScaleResult, error: string | null): ScaleSection {
  const t = SCALE_TARGET;
  // A figure met below the target's scale is not the target met.
  const atScale = result.shape.servers >= t.servers && result.shape.sessions >= t.sessions;
  const at = `at ${result.shape.servers.toLocaleString('en')} servers / ${result.shape.sessions.toLocaleString('en')} sessions`;
  const verdicts: ScaleSection['verdicts'] = [
    { figure: 'scale reached', value: at, target: `${t.servers.toLocaleString('en')} servers / ${t.sessions.toLocaleString('en')} sessions`, pass: atScale },
    {
      // Judged on the slowest pass's CPU time: on this shared machine (load averages of 10-16 on
      // 2 cores) wall time is mostly other processes' turns; both are shown.
      figure: 'reconcile pass (incremental, under churn): wall p50 / max; CPU p50 / max',
      value: `${result.pass.p50Ms} / ${result.pass.maxMs} ms; CPU ${result.pass.cpuP50Ms} / ${result.pass.cpuMaxMs} ms (${result.pass.churnPerS} players leaving and joining per s) ${at}`,
      target: `≤ ${t.passMs} ms (anchor, every server planned: ${result.wholePass.p50Ms} ms, CPU ${result.wholePass.cpuP50Ms} ms)`,
      pass: atScale && result.pass.cpuMaxMs <= t.passMs,
    },
    memoryVerdict(result, at, atScale),
    {
      // The fleet is held while the control plane starts (bench/scale/restart.ts): real game
      // servers reconnect from their own processes, not on the control plane's critical path.
      figure: 'restart on that store → first answered allocation (control plane; the simulated fleet reconnects after)',
      value: `${result.restartToFirstAllocationMs} ms (CPU ${result.restartCpuMs} ms; every session loaded, the fleet reconnecting meanwhile, at ${result.restartAllSessionsMs ?? '?'} ms) ${at}`,
      target: `≤ ${t.coldStartMs} ms`, pass: atScale && result.restartToFirstAllocationMs <= t.coldStartMs,
    },
    {
      figure: 'blue-green release', value: `${result.blueGreen.phase}, ${result.blueGreen.interrupted} interrupted, ${result.blueGreen.servers.toLocaleString('en')} servers / ${result.blueGreen.sessions.toLocaleString('en')} sessions, ${result.blueGreen.simulatedS} s simulated in ${Math.round(result.blueGreen.wallMs / 1000)} s${result.blueGreen.cpuMs === undefined ? '' : ` (CPU ${Math.round(result.blueGreen.cpuMs / 1000)} s)`}${result.blueGreen.drainMinutes === undefined ? '' : `, players leaving within ${result.blueGreen.drainMinutes} simulated min`}`,
      target: `${t.blueGreenServers.toLocaleString('en')} servers / ${t.blueGreenSessions.toLocaleString('en')} sessions, Completed, 0 interrupted`,
      pass: result.blueGreen.phase === 'Completed' && result.blueGreen.interrupted === 0 && result.blueGreen.servers >= t.blueGreenServers && result.blueGreen.sessions >= t.blueGreenSessions,
    },
    {
      figure: 'the whole phase (setup, passes, restart, release), wall', value: `${Math.round((result.phaseMs ?? 0) / 1000)} s ${at}`,
      target: `≤ ${t.phaseMs / 60_000} min, so the whole bench fits 15 min (anchor, booting every server and opening sessions before: not finished after ${SCALE_ANCHOR.phaseMs / 60_000} min)`,
      pass: atScale && (result.phaseMs ?? Infinity) <= t.phaseMs,
    },
  ];
  if (result.setup.bulk) {
    verdicts.splice(1, 0, {
      figure: 'boot through real reconcile passes (a fleet scaled up in the full-size world)',
      value: `${result.setup.booted.toLocaleString('en')} servers Ready in ${Math.round(result.setup.bootMs)} ms (${Math.round(result.setup.booted / (result.setup.bootMs / 1000))}/s)`,
      target: `reported (anchor: 100,000 booted in ${SCALE_ANCHOR.bootAllMs / 1000} s, ${Math.round(100_000 / (SCALE_ANCHOR.bootAllMs / 1000))}/s)`,
      pass: null,
    });
  }
  return { target: t, result, error, verdicts };
}

/**
 * Judged on the control plane's share: the process also holds the simulated fleet and the
 * bench's seat map, whose heap (measured with no control plane in the process) is taken off.
 */
function memoryVerdict(result: ScaleResult, at: string, atScale: boolean): ScaleSection['verdicts'][number] {
  const m = result.memory;
  if (!m) return { figure: 'resident memory', value: `${result.rssMb} MB (heap ${result.heapMb} MB; the simulated game servers live in the same process) ${at}`, target: `≤ ${SCALE_TARGET.rssMb} MB`, pass: false };
  const caveat = m.oldWorldCollected ? '' : '; the closed control plane was not collected, so the split is unreliable';
  return {
    figure: 'resident memory of the control plane (process RSS less the simulated fleet\'s and the bench\'s heap)',
    value: `~${m.rssWithoutFleetMb} MB (process RSS ${m.rssMb} MB, fleet and bench heap ${m.fleetAndBenchHeapMb} MB; control plane heap ${m.controlPlaneHeapMb.restarted} MB after the restart${m.controlPlaneHeapMb.running === null ? '' : `, ${m.controlPlaneHeapMb.running} MB running after the timed passes`}${caveat}) ${at}`,
    target: `≤ ${SCALE_TARGET.rssMb} MB`, pass: atScale && m.oldWorldCollected && m.rssWithoutFleetMb <= SCALE_TARGET.rssMb,
  };
}

export async function safetyPhase(full: boolean, budgetMs: number, log: (m: string) => void): Promise<SafetySection> {
  let last = performance.now();
  const report = await runSafety({
    sessions: full ? SAFETY_TARGET.sessions : Infinity, budgetMs: full ? Infinity : budgetMs, baseSeed: 8,
    onRun: (name, sessions, interruptions) => {
      if (performance.now() - last > 10_000 || interruptions > 0) log(`safety: ${name}: ${sessions} sessions, ${interruptions} interrupted`);
      last = performance.now();
    },
  });
  const estimate = report.sessionsPerS > 0 ? Math.round((SAFETY_TARGET.sessions / report.sessionsPerS / 3600) * 10) / 10 : null;
  return { target: SAFETY_TARGET, full, report, fullRunEstimateHours: estimate };
}

export function renderScaleMarkdown(scale: ScaleSection | null, safety: SafetySection | null): string {
  const lines: string[] = [];
  if (scale) {
    lines.push('', '## Scale (issue 8, target 3)', '');
    if (scale.error) lines.push(`Error: ${scale.error}`, '');
    lines.push('| figure | measured | target | |', '|---|---|---|---|');
    for (const v of scale.verdicts) lines.push(`| ${v.figure} | ${v.value} | ${v.target} | ${v.pass === null ? '—' : v.pass ? 'PASS' : 'MISS'} |`);
    const setup = scale.result?.setup;
    if (setup?.bulk) {
      lines.push('', `Setup: servers placed running and sessions written in bulk in ${setup.writeMs} ms, re-adopted and read back by ${setup.firstStartMs > 0 ? `a restarted control plane (started in ${setup.firstStartMs} ms)` : 'the timed restart'}: ${setup.seedMs} ms in all; then ${setup.booted.toLocaleString('en')} more servers booted through real reconcile passes in ${setup.bootMs} ms. See docs/scale.md.`);
    } else if (setup) {
      lines.push('', `Seeding through the real doors: ${setup.bootMs} ms to boot the servers, ${setup.sessionsPerS} sessions/s to open the sessions. See docs/scale.md.`);
    }
  }
  if (safety) {
    const r = safety.report;
    lines.push('', '## Session safety (issue 8, target 4)', '');
    lines.push('| figure | measured | target | |', '|---|---|---|---|');
    lines.push(`| sessions simulated | ${r.sessions.toLocaleString('en')} in ${r.runs} runs (${r.simulatedHours} h simulated, ${Math.round(r.wallMs / 1000)} s)${safety.full ? '' : ' — short version'} | ≥ ${SAFETY_TARGET.sessions.toExponential(0)} (--full) | ${r.sessions >= SAFETY_TARGET.sessions ? 'PASS' : 'MISS'} |`);
    lines.push(`| interruptions | ${r.interruptions} | 0 | ${r.interruptions === 0 ? 'PASS' : 'MISS'} |`);
    lines.push(`| simulated sessions/s | ${r.sessionsPerS} (3×10^8 would take ~${safety.fullRunEstimateHours ?? '?'} h) | | |`);
    if (r.upperBound95 !== null) lines.push(`| interruption rate, 95 % upper bound (3/n) | ${r.upperBound95.toExponential(1)} | ≤ 1e-8 | ${r.upperBound95 <= 1e-8 ? 'PASS' : 'MISS'} |`);
    if (Object.keys(r.otherViolations).length > 0) lines.push('', `Other violations: ${JSON.stringify(r.otherViolations)}`);
    for (const e of r.examples) lines.push(`- ${e}`);
  }
  return `${lines.join('\n')}\n`;
}
