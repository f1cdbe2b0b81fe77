/**
 * The session-safety campaign (issue 8, target 4): the fake-clock simulation's scenarios — every
 * strategy row released alone, aborted, with the control plane restarted, back to back, aborted
 * at a random moment, plus the situations (crashing builds, stalls, heavy-tailed MMO sessions) —
 * run over and over with fresh seeds until a session budget or a time budget is spent. Each run
 * drives the real planners, allocator, reconciler and SQLite store (src/sim/runner.ts); no
 * processes, no sockets. Reports the sessions played, the interruptions (a player cut off
 * without notice, or a server stopped under a player: must be 0) and simulated sessions per
 * wall-clock second.
 */
import { hash32 } from '../core/random.js';
import { scenariosFor } from './matrix.js';
import type { ViolationKind } from './monitor.js';
import { rows, situations } from './rows.js';
import { runScenario } from './runner.js';
import type { Scenario } from './scenario.js';

/** Violations that are an interrupted session; any other violation is reported beside them. */
export const INTERRUPTIONS: readonly ViolationKind[] = ['stopped-under-player', 'closed-without-notice', 'stopped-with-open-session'];

export interface SafetyOptions {
  /** Stop once this many sessions were played. */
  sessions: number;
  /** …or once this much wall-clock time has passed. */
  budgetMs: number;
  baseSeed: number;
  /** Players arrive this many times faster than the matrix's default (more sessions per run). */
  arrivalFactor?: number;
  /** Only scenarios whose name contains one of these (default: all). */
  only?: string[];
  onRun?: (name: string, sessions: number, interruptions: number) => void;
}

export interface SafetyReport {
  runs: number;
  sessions: number;
  interruptions: number;
  /** Other violations by kind (expectations, premises, …): not interruptions, but not clean either. */
  otherViolations: Record<string, number>;
  examples: string[];
  wallMs: number;
  simulatedHours: number;
  sessionsPerS: number;
  /** The rule-of-three bound on the interruption rate at 95 % confidence, when none was seen: 3 / sessions. */
  upperBound95: number | null;
}

/** Every scenario of the campaign for one round (seeds vary by round). */
export function campaign(round: number, baseSeed: number, arrivalFactor = 1): Scenario[] {
  const seed = hash32(`${baseSeed}/${round}`);
  const all = [
    ...rows.flatMap((row) => scenariosFor(row, { baseSeed: seed })),
    ...situations.flatMap((row) => scenariosFor(row, { baseSeed: seed }, ['release', 'restart'])),
  ];
  return all.map((s) => ({ ...s, workload: { ...s.workload, arrivalsPerSecond: (s.workload?.arrivalsPerSecond ?? 0.4) * arrivalFactor } }));
}

export async function runSafety(opts: SafetyOptions): Promise<SafetyReport> {
  const t0 = performance.now();
  const report: SafetyReport = { runs: 0, sessions: 0, interruptions: 0, otherViolations: {}, examples: [], wallMs: 0, simulatedHours: 0, sessionsPerS: 0, upperBound95: null };
  let simulatedMs = 0;
  // A run can wait on nothing but promises between fake-clock steps; outside a test runner
  // nothing else would keep the process alive meanwhile.
  const alive = setInterval(() => undefined, 60_000);
  try {
    await campaignRounds();
  } finally {
    clearInterval(alive);
  }
  async function campaignRounds(): Promise<void> {
  outer: for (let round = 0; ; round++) {
    for (const scenario of campaign(round, opts.baseSeed, opts.arrivalFactor)) {
      if (opts.only && !opts.only.some((o) => scenario.name.includes(o))) continue;
      if (report.sessions >= opts.sessions || performance.now() - t0 >= opts.budgetMs) break outer;
      const r = await runScenario(scenario);
      report.runs += 1;
      report.sessions += r.stats.sessionsStarted;
      simulatedMs += r.simulatedMs;
      let interruptions = 0;
      for (const v of r.violations) {
        if (INTERRUPTIONS.includes(v.kind)) interruptions += 1;
        else report.otherViolations[v.kind] = (report.otherViolations[v.kind] ?? 0) + 1;
        if (report.examples.length < 10) report.examples.push(`${scenario.name} (seed ${scenario.seed}): ${v.kind}: ${v.detail}`);
      }
      report.interruptions += interruptions;
      opts.onRun?.(scenario.name, r.stats.sessionsStarted, interruptions);
    }
  }
  }
  report.wallMs = Math.round(performance.now() - t0);
  report.simulatedHours = Math.round((simulatedMs / 3_600_000) * 10) / 10;
  report.sessionsPerS = Math.round((report.sessions / Math.max(1, report.wallMs)) * 1000 * 10) / 10;
  report.upperBound95 = report.interruptions === 0 && report.sessions > 0 ? 3 / report.sessions : null;
  return report;
}
