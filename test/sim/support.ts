import { expect } from 'vitest';
import type { SimReport } from '../../src/sim/runner.js';

/** The base seed every scenario's seed derives from; set HANDOFF_SIM_SEED to explore others. */
export const BASE_SEED = Number(process.env['HANDOFF_SIM_SEED'] ?? 1);

/** Fails with everything needed to replay and understand the run. */
export function expectClean(report: SimReport): void {
  const lines = [
    `scenario "${report.scenario}" (seed ${report.seed}; replay with HANDOFF_SIM_SEED=${BASE_SEED})`,
    ...report.violations.map((v) => `  ${v.kind} at +${v.at} ms: ${v.detail}`),
    `releases: ${report.releases.map((r) => `${r.toBuild} ${r.phase} (${r.message})`).join('; ')}`,
    `stats: ${JSON.stringify(report.stats)}`,
    'last events:', ...report.trace.map((t) => `  ${t}`),
  ];
  expect(report.violations, lines.join('\n')).toEqual([]);
}
