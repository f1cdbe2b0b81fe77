/**
 * The verdicts part of `handoff rollout status`: each analysis the release ran, oldest first,
 * with every metric's verdict and the sentence that carries its numbers. Pure.
 */
import { formatDuration } from './table.js';
import type { RolloutView } from './views.js';

type Record_ = RolloutView['analyses'][number];

export function renderAnalyses(r: Pick<RolloutView, 'analyses'>): string {
  return r.analyses.map(renderAnalysis).join('\n');
}

/**
 * `analysis step 2/4: FAIL  arena-2 against arena-1 over 30s`, then one line per metric:
 * `  fail  crash_rate  canary 0.5 (n 4)  baseline 0 (n 6)  fisher-exact p 0.03: <reason>`.
 */
export function renderAnalysis(a: Record_): string {
  const head = `analysis ${a.step}: ${a.verdict.toUpperCase()}  ${a.canary} against ${a.baseline} over ${formatDuration(a.window.until - a.window.since)}`;
  const rows = a.result.metrics.map((m) => {
    const side = (s: { n: number; value: number | null }): string => `${s.value === null ? '-' : round(s.value)} (n ${s.n})`;
    const test = m.test ? `  ${m.test.name} p ${round(m.test.pValue)}` : '';
    return `  ${m.verdict.padEnd(12)} ${m.metric}  canary ${side(m.canary)}  baseline ${side(m.baseline)}${test}: ${m.reason}`;
  });
  return [head, ...rows].join('\n');
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}
