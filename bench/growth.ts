/**
 * The bounded-growth and production-shape phases of `npm run bench` (issue 8, targets 5 and 6):
 *   spawn       event-loop delay while N game servers start at once, with and without the queue
 *   cold-start  `handoff server` to its first answer, through tsx and from dist/
 *   soak        memory and disk of a control plane under steady load (--soak: one hour)
 * `npm run bench` runs spawn and cold-start after its other phases; `--only spawn|cold-start|soak`
 * (comma-separated) runs just these, `--soak` the one-hour soak. Results go to
 * bench/results/growth.{json,md}; a phase not run keeps its previous figures there. Options: --spawn-servers N --spawn-ballast-mb N
 * --cold-start-runs N --soak-seconds N --soak-rate N.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { runColdStart, type ColdStartResult } from './cold-start.js';
import { ControlPlaneChild } from './control-plane.js';
import { FLAT_PCT, runSoak, SoakRetention, type SoakResult } from './soak.js';
import { runSpawnBench, type SpawnResult } from './spawn.js';

export const GrowthPhases = ['spawn', 'cold-start', 'soak'] as const;
type GrowthPhase = (typeof GrowthPhases)[number];

interface GrowthResults { spawn: SpawnResult | null; coldStart: ColdStartResult | null; soak: SoakResult | null; errors: string[] }

/** True when argv asks only for growth phases (then run.ts hands everything to `runGrowth`). */
export function growthOnly(argv: readonly string[]): boolean {
  if (argv.includes('--soak')) return true;
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return false;
  const value = argv[i]?.includes('=') ? argv[i]?.split('=')[1] : argv[i + 1];
  return (value ?? '').split(',').every((p) => (GrowthPhases as readonly string[]).includes(p));
}

export async function runGrowth(root: string, argv: readonly string[], log: (m: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string', default: 'spawn,cold-start' },
      soak: { type: 'boolean', default: false },
      'spawn-servers': { type: 'string', default: '100' },
      'spawn-ballast-mb': { type: 'string', default: '200' },
      'cold-start-runs': { type: 'string', default: '3' },
      'soak-seconds': { type: 'string' },
      'soak-rate': { type: 'string', default: '100' },
    },
    strict: false,
  });
  const str = (v: unknown, d: string) => (typeof v === 'string' ? v : d);
  const phases = new Set<GrowthPhase>(values.soak ? ['soak'] : (str(values.only, 'spawn,cold-start').split(',') as GrowthPhase[]));
  const soakSeconds = Number(str(values['soak-seconds'], values.soak ? '3600' : '180'));
  const results: GrowthResults = { spawn: null, coldStart: null, soak: null, errors: [] };
  const guard = async (name: string, f: () => Promise<void>) => f().catch((e: unknown) => void results.errors.push(`${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));

  if (phases.has('spawn')) {
    await guard('spawn', async () => {
      log(`spawn: ${str(values['spawn-servers'], '100')} game servers at once, ${str(values['spawn-ballast-mb'], '200')} MB of heap ballast`);
      results.spawn = await runSpawnBench({ servers: Number(values['spawn-servers']), ballastMb: Number(values['spawn-ballast-mb']), portFrom: 20_000 + 64 * Math.floor(Math.random() * 150) });
      for (const v of results.spawn.variants) log(`spawn ${v.name}: ${v.perSpawnMs} ms per spawn, event loop delayed p99 ${v.loopDelayP99Ms} ms, max ${v.loopDelayMaxMs} ms`);
    });
  }
  if (phases.has('cold-start')) {
    await guard('cold-start', async () => {
      log('cold start: tsx from the checkout vs node dist/ (npm run build first if stale)');
      results.coldStart = await runColdStart(root, Number(values['cold-start-runs']));
      log(`cold start to first answer: tsx ${results.coldStart.tsxMs.median} ms, dist ${results.coldStart.distMs.median} ms (median of ${results.coldStart.runs})`);
    });
  }
  if (phases.has('soak')) await guard('soak', () => soak(root, soakSeconds, Number(values['soak-rate']), results, log));

  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // Phases not run this time keep their last figures (the hour-long soak is not rerun lightly).
  const previous = readPrevious(path.join(dir, 'growth.json'));
  results.spawn ??= phases.has('spawn') ? null : previous?.spawn ?? null;
  results.coldStart ??= phases.has('cold-start') ? null : previous?.coldStart ?? null;
  results.soak ??= phases.has('soak') ? null : previous?.soak ?? null;
  writeFileSync(path.join(dir, 'growth.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(dir, 'growth.md'), renderGrowth(results));
  for (const e of results.errors) log(`ERROR ${e.split('\n')[0] ?? ''}`);
  log('results: bench/results/growth.md');
  return results.errors.length === 0 ? 0 : 1;
}

function readPrevious(file: string): GrowthResults | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as GrowthResults;
  } catch {
    return null;
  }
}

async function soak(root: string, seconds: number, ratePerS: number, results: GrowthResults, log: (m: string) => void): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-bench-soak-'));
  const from = 20_000 + 64 * Math.floor(Math.random() * 150);
  const cp = await ControlPlaneChild.start({ root, dataDir, portRange: { from, to: from + 63 }, inspector: false, args: SoakRetention });
  try {
    const fixture = path.join(root, 'bench', 'fixtures', 'bench-server.mjs');
    await cp.api('POST', '/v1/apply', {
      builds: [{ id: 'soak-v1', version: '1.0.0', sessionsPerServer: 10_000, launch: { executable: process.execPath, args: [fixture, 'v1'] } }],
      fleets: [{ name: 'soak', build: 'soak-v1', capacity: { minServers: 2, maxServers: 2, bufferServers: 0 }, health: { stopGraceSeconds: 2 } }],
    });
    while ((await cp.servers()).filter((s) => s.state === 'Ready').length < 2) await sleep(100);
    log(`soak: ${ratePerS} allocations/s for ${seconds} s, sessions ended after ~5 s, retention ${SoakRetention.join(' ')}`);
    results.soak = await runSoak(cp, { dataDir, fleet: 'soak', seconds, ratePerS, sampleS: Math.max(5, Math.round(seconds / 60)), runId: `s${Date.now().toString(36)}`, log });
    log(`soak: RSS ${results.soak.rssGrowthPct}% and data (without the WAL) ${results.soak.diskGrowthPct}% from the middle to the last third: ${results.soak.flat ? 'flat' : 'NOT flat'} (±${FLAT_PCT}%); WAL at most ${results.soak.walMaxMb} MiB`);
  } finally {
    const report = await cp.shutdown(30_000);
    results.errors.push(...report.problems.map((p) => `soak shutdown: ${p}`));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function renderGrowth(r: GrowthResults): string {
  const lines = ['# Bounded growth and production shape (bench/growth.ts)', ''];
  if (r.spawn) {
    lines.push(`## Spawning game servers at once (heap ballast ${r.spawn.ballastMb} MB, RSS ${r.spawn.rssMb} MiB)`, '', '| variant | servers | ms per spawn | event-loop delay p99 | max |', '|---|---|---|---|---|');
    for (const v of r.spawn.variants) lines.push(`| ${v.name} | ${v.servers} | ${v.perSpawnMs} | ${v.loopDelayP99Ms} ms | ${v.loopDelayMaxMs} ms |`);
    lines.push('');
  }
  if (r.coldStart) {
    const c = r.coldStart;
    lines.push('## Cold start of `handoff server` to its first answered request', '', '| how | median | min |', '|---|---|---|',
      `| tsx (bin/handoff, checkout) | ${c.tsxMs.median} ms | ${c.tsxMs.min} ms |`, `| node dist/cli/main.js | ${c.distMs.median} ms | ${c.distMs.min} ms |`, '', `dist / tsx: ${c.ratio} (${c.runs} runs each)`, '');
  }
  if (r.soak) {
    const s = r.soak;
    lines.push(`## Soak: ${s.seconds} s at ${s.ratePerS} allocations/s asked (${s.allocations} allocations, ${Math.round(s.allocations / s.seconds)}/s achieved)`, '', `Retention: \`${s.retention.join(' ')}\``, '',
      `RSS ${s.rssGrowthPct}%, data directory without the WAL ${s.diskGrowthPct}% from the middle to the last third: **${s.flat ? 'flat' : 'not flat'}** (target ±${FLAT_PCT}%). WAL at most ${s.walMaxMb} MiB (truncated at 64 MiB by the checkpointer). Errors: ${JSON.stringify(s.errors)}`, '',
      '| t (s) | RSS (MiB) | data dir without WAL (MiB) | of which game-server logs | WAL (MiB) |', '|---|---|---|---|---|', ...s.samples.map((x) => `| ${x.tS} | ${x.rssMb} | ${x.diskMb} | ${x.logsMb} | ${x.walMb} |`), '');
  }
  if (r.errors.length > 0) lines.push('## Errors', '', ...r.errors.map((e) => `- ${e.split('\n')[0] ?? ''}`), '');
  return `${lines.join('\n')}\n`;
}
