/**
 * For `handoff chaos run` tests: writes an experiment, runs the real bin (asynchronously, so an
 * in-process control plane keeps serving) and returns its JSON report and exit code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { ExperimentReport } from '../../src/chaos/report.js';
import { repoRoot } from './control-plane.js';

const run = promisify(execFile);

export interface ChaosRun {
  code: number;
  report: ExperimentReport;
  stderr: string;
}

export async function runChaos(urls: string[], experiment: Record<string, unknown>): Promise<ChaosRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-chaos-'));
  const file = path.join(dir, 'experiment.yaml');
  const reportFile = path.join(dir, 'report.json');
  writeFileSync(file, stringify({ kind: 'ChaosExperiment', ...experiment }));
  let code = 0;
  let stdout = '';
  let stderr = '';
  try {
    ({ stdout, stderr } = await run(path.join(repoRoot, 'bin/handoff'), ['chaos', 'run', file, '--url', urls.join(','), '--report', reportFile, '--json'], { env: { ...process.env, HANDOFF_URL: '' }, timeout: 60_000 }));
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    ({ code, stdout, stderr } = err);
  }
  let report: ExperimentReport;
  try {
    report = JSON.parse(stdout) as ExperimentReport;
  } catch {
    throw new Error(`handoff chaos run printed no report (exit ${code}):\n${stdout}\n${stderr}`);
  }
  // The --report file holds the same report.
  if (JSON.stringify(JSON.parse(readFileSync(reportFile, 'utf8'))) !== JSON.stringify(report)) throw new Error('--report differs from the printed report');
  return { code, report, stderr };
}

/** A process's state letter from /proc (`T`: stopped by a signal), or null when it is gone. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}
