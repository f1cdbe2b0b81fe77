/**
 * The scale phase's restart measurement (issue 8, target 3: "cold start ≤ 2 s to the first
 * answered allocation", "resident memory ≤ 2 GB"), with the control plane's share separated from
 * the simulated fleet's. The fleet (100,000 `SimulatedGameServer`s, their rosters) and the bench's
 * own map of seated players live in this process; in service they are other processes.
 *
 * Time: the fake clock is held while the new control plane starts and answers its first
 * allocation. The simulated servers' watch reconnects and roster reports are timers on that clock
 * (100 ms – 2 s after the SDK link comes up), so they run after it, as real game servers would
 * reconnect from their own processes — what remains on the critical path is the control plane's
 * own work (store reads, World, indexes, recover/adopt, SDK backend, listen, the allocation).
 * The fleet's reconnect storm then runs (simulated time at real speed) while sessions stream in;
 * `allSessionsMs` includes it.
 *
 * Memory, by difference (heap after a forced GC): with the old control plane closed and collected
 * (checked with a WeakRef on its World), the heap holds the fleet and the bench; the control
 * plane's share is the heap with it minus that. The control plane alone would be resident in
 * about the process's RSS minus the fleet's and the bench's heap (`rssWithoutFleetMb`).
 *
 * `SCALE_PROFILE=FILE` writes a V8 CPU profile of the restart (start → first allocation) to FILE
 * (`bench/scale/profile-summary.ts FILE` groups it).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { AllocationRequestSchema } from '../../src/api/schemas.js';
import type { ScalePlane } from './plane.js';
import { fleetName, pump, type Seated } from './seed.js';

export interface RestartFigures {
  /** Restart → first answered allocation, wall and this process's CPU, fleet held (see above). */
  wallMs: number;
  cpuMs: number;
  /** From the same restart to every open session loaded (fleet reconnecting meanwhile). */
  allSessionsMs: number;
  memory: MemoryFigures;
  /** Heap of the fleet and the bench alone, bytes (what `runningHeapMb` subtracts). */
  fleetOnlyHeap: number;
}

export interface MemoryFigures {
  /** Process RSS after a forced GC, everything in it (control plane, fleet, bench). */
  rssMb: number;
  heapMb: number;
  /** Heap of the fleet and the bench with no control plane in the process (after close and GC). */
  fleetAndBenchHeapMb: number;
  /**
   * Heap the control plane holds, by difference: running (after the timed passes: before the
   * restart, or measured after them with `runningHeapMb` when the restart came first) and
   * restarted, every session loaded.
   */
  controlPlaneHeapMb: { running: number | null; restarted: number };
  /** External memory (SQLite's page cache is not in it; buffers are) held by the restarted control plane. */
  controlPlaneExternalMb: number;
  /** RSS minus the fleet's and the bench's heap above the empty process's: the control plane alone, estimated. */
  rssWithoutFleetMb: number;
  /** Whether the closed control plane's World was collected (the difference is then the control plane's alone). */
  oldWorldCollected: boolean;
}

const mb = (b: number): number => Math.round(b / 2 ** 20);
const r1 = (x: number): number => Math.round(x * 10) / 10;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function collect(): NodeJS.MemoryUsage {
  // Twice: the first pass runs finalizers (WeakRefs, FinalizationRegistry) the second frees after.
  global.gc?.();
  global.gc?.();
  return process.memoryUsage();
}

/** The heap a running control plane holds now, by difference with the fleet's and the bench's (`fleetOnlyHeap`). */
export function runningHeapMb(fleetOnlyHeap: number): number {
  return mb(collect().heapUsed - fleetOnlyHeap);
}

/**
 * Starts a V8 CPU profile (0.5 ms sampling) when `file` is set; the returned stop writes it there.
 * Around a restart: `SCALE_PROFILE` here, `--profile` in cold.ts.
 */
export async function profileTo(file: string | null | undefined): Promise<() => Promise<void>> {
  if (!file) return async () => undefined;
  const inspector = new Session();
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.setSamplingInterval', { interval: 500 });
  await inspector.post('Profiler.start');
  return async () => {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    inspector.disconnect();
  };
}

/** Heap used by an empty process of this kind (imports loaded, nothing built): taken once at the phase's start. */
export function baselineHeap(): number {
  return collect().heapUsed;
}

/**
 * Closes the control plane (game servers keep running on the simulated host) — unless the plane
 * has none attached (the bulk writer left it so: then this restart is the first on that state,
 * and the heap of a running control plane is measured later, `runningHeapMb`) — then times a new
 * one on the same SQLite file to its first answered allocation, and measures memory around it.
 */
export async function restartToFirstAllocation(plane: ScalePlane, seated: Seated, emptyHeap: number): Promise<RestartFigures> {
  const running = plane.attached ? collect() : null;
  if (plane.attached) {
    await pump(plane, plane.cp.close());
    plane.forget();
  }
  // Let the closed control plane's last promises settle before measuring what is left.
  await new Promise((r) => setTimeout(r, 50));
  const fleetOnly = collect();
  const oldWorldCollected = plane.forgottenWorld?.deref() === undefined;

  const stopProfile = await profileTo(process.env['SCALE_PROFILE']);
  const t0 = performance.now();
  const c0 = cpuMs();
  // Step 0: the fake clock stands still (the fleet's reconnects wait), real time runs.
  await pump(plane, (async () => {
    const cp = await plane.restart();
    await cp.api.allocations.allocate(AllocationRequestSchema.parse({ fleet: fleetName(0), playerId: 'f0p-first' }));
  })(), 0);
  const first = { wallMs: r1(performance.now() - t0), cpuMs: r1(cpuMs() - c0) };
  await stopProfile();
  // Now simulated time runs at real speed: the fleet reconnects and reports while sessions load.
  await pump(plane, plane.cp.sessionsLoaded, 1);
  const allSessionsMs = r1(performance.now() - t0);
  // That player joins too (a reservation nobody uses would hold its server through the release).
  await pump(plane, plane.cp.api.allocations.allocate(AllocationRequestSchema.parse({ fleet: fleetName(0), playerId: 'f0p-first' })).then(async ({ response }) => {
    const game = plane.gameServer(response.server.id);
    const joined = await game?.join({ playerId: 'f0p-first', joinToken: response.joinToken, disconnected: () => void (seated.interrupted += 1) });
    if (joined?.ok) seated.where.set('f0p-first', response.server.id);
  }));
  const restarted = collect();
  const fleetHeap = fleetOnly.heapUsed - emptyHeap;
  return {
    ...first, allSessionsMs, fleetOnlyHeap: fleetOnly.heapUsed,
    memory: {
      rssMb: mb(restarted.rss), heapMb: mb(restarted.heapUsed), fleetAndBenchHeapMb: mb(fleetHeap),
      controlPlaneHeapMb: { running: running === null ? null : mb(running.heapUsed - fleetOnly.heapUsed), restarted: mb(restarted.heapUsed - fleetOnly.heapUsed) },
      controlPlaneExternalMb: mb(restarted.external - fleetOnly.external),
      rssWithoutFleetMb: mb(restarted.rss - fleetHeap), oldWorldCollected,
    },
  };
}
