/**
 * The soak: a control plane under a steady stream of allocations and session ends for a long
 * time (`--soak`: one hour), sampling its resident memory and the size of its data directory
 * (SQLite file, WAL, game-server logs). With retention on, both should level off once the
 * retained window is full: the verdict compares the last third of the run with the middle third
 * (the first third is the window filling up). The WAL is left out of the verdict and reported
 * on its own: it grows to the checkpointer's bound (64 MiB) under steady writes and is then
 * truncated, so any sample of it is somewhere on that sawtooth.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlaneChild } from './control-plane.js';
import { HttpClient } from './http-load.js';
import { round } from './stats.js';

/** `diskMb` is the data directory without the WAL (`walMb`), whose size is a sawtooth by design. */
export interface SoakSample { tS: number; rssMb: number; diskMb: number; walMb: number; logsMb: number }

export interface SoakResult {
  seconds: number;
  ratePerS: number;
  retention: readonly string[];
  allocations: number;
  errors: Record<string, number>;
  samples: SoakSample[];
  /** Mean of the last third over the mean of the middle third, as a % change. */
  rssGrowthPct: number;
  diskGrowthPct: number;
  /** Both within ±FLAT_PCT. */
  flat: boolean;
  walMaxMb: number;
}

export const FLAT_PCT = 10;
/** Small windows, so a short soak fills them: what matters is that growth stops, not where. */
export const SoakRetention = ['--retain-events-max', '5000', '--retain-sessions-max', '2000', '--server-log-max-bytes', '1048576', '--server-log-files', '1'] as const;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? round(Number(m[1]) / 1024, 1) : NaN;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

function fileBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export async function runSoak(cp: ControlPlaneChild, o: { dataDir: string; fleet: string; seconds: number; ratePerS: number; sampleS: number; runId: string; log: (m: string) => void }): Promise<SoakResult> {
  const client = new HttpClient(cp.url, 16);
  const samples: SoakSample[] = [];
  const errors: Record<string, number> = {};
  const open: string[] = [];
  let allocations = 0;
  let n = 0;
  const t0 = performance.now();
  let nextSample = 0;
  const count = (code: string) => void (errors[code] = (errors[code] ?? 0) + 1);
  try {
    // Ticks of 100 ms: a tenth of the rate is allocated, and sessions older than ~5 s are ended.
    while (performance.now() - t0 < o.seconds * 1000) {
      const tick = performance.now();
      const batch = Array.from({ length: Math.max(1, Math.round(o.ratePerS / 10)) }, () => n++);
      const ends = open.splice(0, Math.max(0, open.length - o.ratePerS * 5));
      await Promise.all([
        ...batch.map(async (i) => {
          const r = await client.send({ method: 'POST', path: '/v1/allocations', body: `{"fleet":"${o.fleet}","playerId":"${o.runId}-soak-${i}"}` }).catch(() => ({ status: 0, text: '' }));
          if (r.status === 200 || r.status === 201) {
            allocations++;
            open.push((JSON.parse(r.text) as { sessionId: string }).sessionId);
          } else count(`alloc ${r.status}`);
        }),
        ...ends.map(async (id) => {
          const r = await client.send({ method: 'DELETE', path: `/v1/sessions/${id}` }).catch(() => ({ status: 0, text: '' }));
          if (r.status >= 300) count(`end ${r.status}`);
        }),
      ]);
      const tS = (performance.now() - t0) / 1000;
      if (tS >= nextSample) {
        const wal = fileBytes(path.join(o.dataDir, 'handoff.db-wal'));
        const mb = (b: number) => round(b / 2 ** 20, 2);
        const sample = { tS: round(tS, 0), rssMb: rssMb(cp.pid), diskMb: mb(dirBytes(o.dataDir) - wal), walMb: mb(wal), logsMb: mb(dirBytes(path.join(o.dataDir, 'logs'))) };
        samples.push(sample);
        o.log(`soak ${sample.tS} s: RSS ${sample.rssMb} MiB, data ${sample.diskMb} MiB (logs ${sample.logsMb}) + WAL ${sample.walMb} MiB, ${allocations} allocations`);
        nextSample += o.sampleS;
      }
      await sleep(Math.max(0, 100 - (performance.now() - tick)));
    }
  } finally {
    client.close();
  }
  const third = Math.floor(samples.length / 3);
  const middle = samples.slice(third, 2 * third);
  const last = samples.slice(2 * third);
  const growth = (k: 'rssMb' | 'diskMb') => round(100 * (mean(last.map((s) => s[k])) / mean(middle.map((s) => s[k])) - 1), 1);
  const rssGrowthPct = growth('rssMb');
  const diskGrowthPct = growth('diskMb');
  return {
    seconds: o.seconds, ratePerS: o.ratePerS, retention: SoakRetention, allocations, errors, samples, rssGrowthPct, diskGrowthPct,
    flat: Math.abs(rssGrowthPct) <= FLAT_PCT && Math.abs(diskGrowthPct) <= FLAT_PCT,
    walMaxMb: Math.max(0, ...samples.map((x) => x.walMb)),
  };
}
