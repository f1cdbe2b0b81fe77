/**
 * Cold start both ways: `handoff server` from a checkout through the TypeScript loader
 * (bin/handoff → node --import tsx src/cli/main.ts) and from the build (node dist/cli/main.js),
 * each timed from spawn to its first answered API request, on an empty data directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDist } from '../scripts/ensure-dist.js';
import { round } from './stats.js';

export interface ColdStartResult {
  runs: number;
  tsxMs: { median: number; min: number };
  distMs: { median: number; min: number };
  /** dist median / tsx median. */
  ratio: number;
}

async function once(root: string, mode: 'tsx' | 'dist'): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-bench-cold-'));
  const args = ['server', '--data-dir', dataDir, '--port', '0', '--sdk-port', '0'];
  const t0 = performance.now();
  const child = mode === 'dist'
    ? spawn(process.execPath, [path.join(root, 'dist/cli/main.js'), ...args], { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(path.join(root, 'bin/handoff'), args, { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    for (;;) {
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) {
        const res = await fetch(`${url}/v1/fleets`).catch(() => undefined);
        if (res?.ok) return performance.now() - t0;
      }
      if (child.exitCode !== null) throw new Error(`handoff server (${mode}) exited with ${child.exitCode}`);
      if (performance.now() - t0 > 120_000) throw new Error(`handoff server (${mode}) did not answer within 120 s`);
      await sleep(5);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runColdStart(root: string, runs: number): Promise<ColdStartResult> {
  ensureDist();
  const times = { tsx: [] as number[], dist: [] as number[] };
  // Alternated, so a noisy neighbour hurts both the same.
  for (let i = 0; i < runs; i++) {
    times.tsx.push(await once(root, 'tsx'));
    times.dist.push(await once(root, 'dist'));
  }
  const sum = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: round(s[Math.floor((s.length - 1) / 2)] ?? NaN, 0), min: round(s[0] ?? NaN, 0) };
  };
  const tsxMs = sum(times.tsx);
  const distMs = sum(times.dist);
  return { runs, tsxMs, distMs, ratio: round(distMs.median / tsxMs.median, 2) };
}
