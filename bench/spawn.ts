/**
 * The spawn phase: how long the event loop stalls while many game servers start at once.
 * `child_process.spawn` forks and execs synchronously, so N spawns in one macrotask stall the
 * loop for N times one spawn. The phase starts N servers (`/bin/sleep`, so the figure is the
 * spawn and not the game server) twice, in this process, with a heap of `ballastMb` (a fork
 * costs more as the parent grows, and a control plane at scale is big):
 *   - "all at once": N `spawnDetached` calls in one go (what the runtime did before its queue);
 *   - "runtime queue": N concurrent `LocalRuntime.start` calls (one spawn per loop turn).
 * The event-loop delay is what an API request arriving meanwhile would wait.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Build } from '../src/builds/model.js';
import { LocalRuntime } from '../src/runtime/local/local-runtime.js';
import { signalGroup } from '../src/runtime/local/proc.js';
import { spawnDetached } from '../src/runtime/local/spawn.js';
import { round } from './stats.js';

export interface SpawnVariant {
  name: string;
  servers: number;
  totalMs: number;
  perSpawnMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export interface SpawnResult {
  ballastMb: number;
  rssMb: number;
  variants: SpawnVariant[];
}

const SleepBuild: Build = {
  id: 'sleep', version: '1.0.0', launch: { executable: '/bin/sleep', args: ['600'], env: {}, workingDir: null },
  ports: [], sessionsPerServer: 1, compatibleClients: '*', labels: {}, createdAt: 0,
};

/**
 * Gaps between the ticks of a 1 ms interval, minus the 1 ms: how long a timer (or a request)
 * waited for the loop. (perf_hooks' monitorEventLoopDelay missed a single long stall here.)
 */
function loopProbe(): { stop: () => number[] } {
  const gaps: number[] = [];
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    gaps.push(Math.max(0, now - last - 1));
    last = now;
  }, 1);
  return {
    stop: () => {
      clearInterval(t);
      gaps.push(Math.max(0, performance.now() - last - 1));
      return gaps;
    },
  };
}

async function measured(name: string, servers: number, run: () => Promise<number[]>): Promise<{ variant: SpawnVariant; pids: number[] }> {
  // Settle first, so earlier work does not count against this variant.
  await sleep(200);
  const probe = loopProbe();
  await sleep(20);
  const t0 = performance.now();
  const pids = await run();
  const totalMs = performance.now() - t0;
  await sleep(20);
  const gaps = probe.stop().sort((a, b) => a - b);
  return {
    pids,
    variant: {
      name, servers, totalMs: round(totalMs, 0), perSpawnMs: round(totalMs / servers, 2),
      loopDelayP99Ms: round(gaps[Math.floor(0.99 * (gaps.length - 1))] ?? 0, 1), loopDelayMaxMs: round(gaps.at(-1) ?? 0, 1),
    },
  };
}

async function killAll(pids: readonly number[]): Promise<void> {
  for (const pid of pids) signalGroup(pid, 'SIGKILL');
  await sleep(100);
}

export async function runSpawnBench(o: { servers: number; ballastMb: number; portFrom: number }): Promise<SpawnResult> {
  // Ballast the size of a busy control plane's heap: arrays of small objects, as state is.
  const ballast: { id: number; s: string }[][] = [];
  for (let mb = 0; mb < o.ballastMb; mb++) ballast.push(Array.from({ length: 12_000 }, (_, i) => ({ id: i, s: `x${i}` })));
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-bench-spawn-'));
  const variants: SpawnVariant[] = [];
  try {
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
    const direct = await measured('all at once', o.servers, async () => {
      const spawned = await Promise.all(Array.from({ length: o.servers }, (_, i) => spawnDetached({ file: '/bin/sleep', args: ['600'], cwd: dir, env, logPath: path.join(dir, `direct-${i}.log`) })));
      return spawned.map((s) => s.pid);
    });
    variants.push(direct.variant);
    await killAll(direct.pids);

    const rt = LocalRuntime.create({ logDir: dir, portRange: { from: o.portFrom, to: o.portFrom + 9 } });
    try {
      const queued = await measured('runtime queue', o.servers, async () => {
        const started = await Promise.all(Array.from({ length: o.servers }, (_, i) => rt.start({ serverId: `q${i}`, fleet: 'bench', build: SleepBuild, env: {} })));
        return started.map((s) => s.pid);
      });
      variants.push(queued.variant);
      await killAll(queued.pids);
    } finally {
      await rt.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rssMb = round(process.memoryUsage().rss / 2 ** 20, 0);
  ballast.length = 0;
  return { ballastMb: o.ballastMb, rssMb, variants };
}
