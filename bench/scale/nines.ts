/**
 * The `nines` phase of `npm run bench` (issue 8, target 4): the light session-safety simulator
 * (`src/sim/nines/`) over every strategy row × abort × restart × back to back. Short by default
 * (`--nines-seconds`, 60 s); `--full` runs it to 3×10^8 sessions, the rule-of-three bound for an
 * interruption rate ≤ 10^-8 at 95 % confidence.
 */
import { runNines, type NinesReport } from '../../src/sim/nines/campaign.js';
import { SAFETY_TARGET } from './report.js';

export interface NinesSection {
  target: typeof SAFETY_TARGET;
  full: boolean;
  report: NinesReport;
  /** Wall-clock time 3×10^8 sessions take at the measured rate (the full run itself, when it ran). */
  fullRunEstimateMinutes: number | null;
}

/** Ctrl-C (or SIGTERM) stops the campaign after the run in progress and reports what was played. */
export async function ninesPhase(full: boolean, budgetMs: number, log: (m: string) => void): Promise<NinesSection> {
  let stop = false;
  const onSignal = (): void => {
    stop = true;
    log('nines: stopping after the run in progress; the report covers what was played');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let last = performance.now();
  let sessions = 0;
  let cut = 0;
  const t0 = performance.now();
  const report = await runNines({
    baseSeed: 8, sessions: full ? SAFETY_TARGET.sessions : Infinity, budgetMs: full ? Infinity : budgetMs,
    onRun: (name, t) => {
      sessions += t.sessions;
      cut += t.interruptions + t.unsafeStops;
      if (performance.now() - last > 30_000 || t.interruptions > 0 || t.unsafeStops > 0) {
        const s = Math.round((performance.now() - t0) / 1000);
        log(`nines: ${sessions.toLocaleString('en')} sessions in ${s} s, ${cut} interruptions and unsafe stops so far; last run ${name}: ${t.sessions} sessions, ${t.interruptions} interrupted`);
        last = performance.now();
      }
    },
    shouldStop: () => stop,
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const estimate = report.sessionsPerS > 0 ? Math.round(SAFETY_TARGET.sessions / report.sessionsPerS / 60) : null;
  return { target: SAFETY_TARGET, full, report, fullRunEstimateMinutes: estimate };
}

export function renderNinesMarkdown(n: NinesSection | null): string {
  if (!n) return '';
  const r = n.report;
  const clean = r.interruptions === 0 && r.unsafeStops === 0;
  const lines = [
    '', '## Session safety at eight nines: the light simulator (issue 8, target 4)', '',
    'Real planners, allocator and abort/promote rules over a compact world (`src/sim/nines/`, see docs/simulation.md).', '',
    '| figure | measured | target | |', '|---|---|---|---|',
    `| sessions simulated | ${r.sessions.toLocaleString('en')} in ${r.runs} runs, ${r.releases} releases (${r.simulatedHours} h simulated, ${Math.round(r.wallMs / 1000)} s wall)${n.full ? (r.stopped ? ' — full run stopped early' : '') : ' — short version'} | ≥ ${n.target.sessions.toExponential(0)} (--full) | ${r.sessions >= n.target.sessions ? 'PASS' : 'MISS'} |`,
    `| interruptions (sessions cut off without notice) | ${r.interruptions} | 0 | ${r.interruptions === 0 ? 'PASS' : 'MISS'} |`,
    `| stops of a server with open sessions | ${r.unsafeStops} | 0 | ${r.unsafeStops === 0 ? 'PASS' : 'MISS'} |`,
    `| simulated sessions/s | ${r.sessionsPerS.toLocaleString('en')} wall, ${r.sessionsPerCpuS.toLocaleString('en')} per CPU-second (3×10^8 takes ~${n.fullRunEstimateMinutes ?? '?'} min at this rate) | | |`,
  ];
  if (r.upperBound95 !== null) lines.push(`| interruption rate, 95 % upper bound (3/n) | ${r.upperBound95.toExponential(1)} | ≤ 1e-8 | ${r.upperBound95 <= 1e-8 ? 'PASS' : 'MISS'} |`);
  lines.push('', `Aborts ${r.aborts}, control-plane restarts ${r.restarts}, server crashes ${r.crashes} (${r.lostToCrash} sessions lost to crashes, not interruptions), migrated with notice ${r.migratedWithNotice}, closed for an announced maintenance ${r.closedForMaintenance}, refused ${r.refused}. Releases ended: ${JSON.stringify(r.outcomes)}; unexpected outcomes ${r.unexpected}.`);
  if (!clean || r.unexpected > 0) for (const e of r.examples) lines.push(`- ${e}`);
  return `${lines.join('\n')}\n`;
}
