/**
 * The eight-nines campaign: every light case (`cases.ts`), round after round with fresh seeds,
 * until a session budget or a time budget is spent. Reports sessions, interruptions (must be 0),
 * simulated sessions per second and the rule-of-three bound (3/n: with no interruption in n
 * sessions, the rate is below 3/n at 95 % confidence, so 3×10^8 sessions bound it by 10^-8).
 */
import { ninesCases, type CaseOptions } from './cases.js';
import { addTally, emptyTally, type Tally } from './model.js';
import { runCase } from './run.js';

export interface NinesOptions extends CaseOptions {
  /** Stop once this many sessions were played… */
  sessions: number;
  /** …or once this much wall-clock time has passed. */
  budgetMs: number;
  /** …or after this many rounds of every case (default: no limit). */
  rounds?: number;
  /** Only cases whose name contains one of these (default: all). */
  only?: string[];
  onRun?: (name: string, t: Tally) => void;
  /** Asked between runs: true stops the campaign there (the bench's Ctrl-C), and the report says so. */
  shouldStop?: () => boolean;
}

export interface NinesReport extends Tally {
  wallMs: number;
  /** CPU time of this process over the campaign (user + system): the machine is shared, so wall time flatters nothing. */
  cpuMs: number;
  sessionsPerS: number;
  sessionsPerCpuS: number;
  simulatedHours: number;
  /** 3 / sessions when no interruption was seen, else null. */
  upperBound95: number | null;
  /** Stopped by `shouldStop` before its budget was spent. */
  stopped: boolean;
}

export async function runNines(opts: NinesOptions): Promise<NinesReport> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const total = emptyTally();
  let stopped = false;
  outer: for (let round = 0; round < (opts.rounds ?? Infinity); round++) {
    let ran = 0;
    for (const c of ninesCases(opts, round)) {
      if (opts.only && !opts.only.some((o) => c.name.includes(o))) continue;
      if (total.sessions >= opts.sessions || performance.now() - t0 >= opts.budgetMs) break outer;
      // One turn of the event loop between runs, so a signal handler can ask the campaign to stop.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (opts.shouldStop?.()) {
        stopped = true;
        break outer;
      }
      const t = runCase(c);
      addTally(total, t);
      ran += 1;
      opts.onRun?.(c.name, t);
    }
    if (ran === 0) break;
  }
  const wallMs = Math.round(performance.now() - t0);
  const cpu = process.cpuUsage(c0);
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  const clean = total.interruptions === 0 && total.unsafeStops === 0;
  return {
    ...total, wallMs, cpuMs,
    sessionsPerS: Math.round((total.sessions / Math.max(1, wallMs)) * 1000),
    sessionsPerCpuS: Math.round((total.sessions / Math.max(1, cpuMs)) * 1000),
    simulatedHours: Math.round((total.simulatedMs / 3_600_000) * 10) / 10,
    upperBound95: clean && total.sessions > 0 ? 3 / total.sessions : null,
    stopped,
  };
}
