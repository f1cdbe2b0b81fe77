/**
 * Allocation cost against fleet size (issue 8, target 1): the same allocator, in this process,
 * over a fleet of 1,000 and one of 100,000 Ready servers. No HTTP and no disk (SQLite in memory):
 * what is measured is what grows with the fleet — the decision and the in-memory bookkeeping —
 * not the fsync, which is the same for any fleet. The two fleets are measured in alternating
 * rounds so that a neighbour's burst on this shared machine lands on both, and the ratio holds.
 *
 * Beside the index, the anchor: the decision as it was made before, over a list built by walking
 * every server of the world (`scanFleetCandidates`, the index's test oracle).
 */
import { AllocationService } from '../src/allocation/service.js';
import { chooseServer } from '../src/allocation/choose.js';
import { fleetCandidates } from '../src/allocation/service.js';
import { scanFleetCandidates } from '../src/allocation/testing.js';
import { SystemClock } from '../src/core/clock.js';
import { Persister } from '../src/state/persister.js';
import { World } from '../src/state/world.js';
import { sampleBuild, sampleFleet, sampleServer } from '../src/store/fixtures.js';
import { singleBuildRouting } from '../src/allocation/routing.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { round, summarizeLatencies } from './stats.js';

export const SCALE = { sizes: [1_000, 100_000], sessionsPerServer: 8, rounds: 10, allocationsPerRound: 500, decisionsPerRound: 2_000, targetRatio: 1.5 } as const;

export interface ScaleSize {
  servers: number;
  allocations: number;
  /** `AllocationService.allocate` (decision, bookkeeping, group commit to in-memory SQLite), µs. */
  allocateUs: { p50: number; p99: number; max: number };
  /** `chooseServer` over the capacity index, as the service asks it, µs. */
  decisionUs: { p50: number; p99: number };
  /** The same decision over a walk of every server (before the index), µs; the anchor. */
  scanDecisionUs: { p50: number; p99: number; samples: number };
}

export interface ScaleResult {
  sizes: ScaleSize[];
  /** p99 at the largest fleet over p99 at the smallest, measured in the same rounds. */
  allocateP99Ratio: number;
  decisionP99Ratio: number;
  scanDecisionP99Ratio: number;
  target: { p99Ratio: number };
  pass: boolean;
}

const FLEET = 'scale';
const BUILD = 'scale-v1';

interface Rig {
  servers: number;
  world: World;
  service: AllocationService;
  store: SqliteStore;
  next: number;
  allocate: number[];
  decide: number[];
  scan: number[];
}

function rig(servers: number): Rig {
  const store = SqliteStore.open(':memory:');
  const world = new World();
  world.putBuild(sampleBuild({ id: BUILD, sessionsPerServer: SCALE.sessionsPerServer }));
  world.fleets.set(FLEET, sampleFleet({ name: FLEET, currentBuild: BUILD, routing: singleBuildRouting(BUILD), region: null }));
  for (let i = 0; i < servers; i++) {
    // Creation times out of id order, so ties on occupancy are broken by real comparisons.
    world.putServer(sampleServer({
      id: `srv_${i}`, token: `tok_${i}`, fleet: FLEET, build: BUILD, state: 'Ready', capacity: SCALE.sessionsPerServer,
      createdAt: (i * 7919) % servers, emptySince: 0, stopRequestedAt: null, drainReason: null,
    }));
  }
  const ctx = { world, persister: new Persister(store), store, clock: new SystemClock(), notify: () => undefined };
  const service = new AllocationService(ctx, { joinSecret: 'bench-scale-secret-0123456789abcdef', joinTokenTtlMs: 60_000, idempotencyTtlMs: 60_000 });
  return { servers, world, service, store, next: 0, allocate: [], decide: [], scan: [] };
}

async function round1(r: Rig, n: number, record: boolean): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await r.service.allocate({ fleet: FLEET, playerId: `p${r.next++}`, partyId: null, clientVersion: null, region: null, attributes: {}, idempotencyKey: null });
    if (record) r.allocate.push((performance.now() - t0) * 1000);
  }
}

function decisions(r: Rig, n: number, scanSamples: number): void {
  const fleet = r.world.fleets.get(FLEET);
  if (!fleet) throw new Error('no fleet');
  const input = (i: number) => ({
    playerId: `d${i}`, partyId: null, clientVersion: null, routing: fleet.routing, accepts: () => true, partyServers: [], partyPolicy: fleet.partyPolicy,
  });
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    chooseServer({ ...input(i), candidates: fleetCandidates(r.world, FLEET, []) });
    r.decide.push((performance.now() - t0) * 1000);
  }
  for (let i = 0; i < scanSamples; i++) {
    const t0 = performance.now();
    chooseServer({ ...input(i), candidates: scanFleetCandidates(r.world, FLEET, []) });
    r.scan.push((performance.now() - t0) * 1000);
  }
}

const pct = (xs: number[]) => summarizeLatencies(Float64Array.from(xs));

export async function runScale(log: (m: string) => void): Promise<ScaleResult> {
  const rigs = SCALE.sizes.map((n) => rig(n));
  try {
    // Warm-up: JIT and the SQLite statements, on both fleets.
    for (const r of rigs) await round1(r, 500, false);
    for (let k = 0; k < SCALE.rounds; k++) {
      for (const r of rigs) {
        await round1(r, SCALE.allocationsPerRound, true);
        // The walk costs ~20 ms a decision at 100,000 servers: a few samples are enough to show it.
        decisions(r, SCALE.decisionsPerRound, r.servers > 10_000 ? 5 : 50);
      }
    }
    const sizes = rigs.map((r): ScaleSize => {
      const a = pct(r.allocate);
      const d = pct(r.decide);
      const s = pct(r.scan);
      return {
        servers: r.servers, allocations: r.allocate.length,
        allocateUs: { p50: round(a.p50Ms, 1), p99: round(a.p99Ms, 1), max: round(a.maxMs, 0) },
        decisionUs: { p50: round(d.p50Ms, 2), p99: round(d.p99Ms, 2) },
        scanDecisionUs: { p50: round(s.p50Ms, 0), p99: round(s.p99Ms, 0), samples: s.count },
      };
    });
    const lo = sizes[0];
    const hi = sizes[sizes.length - 1];
    if (!lo || !hi) throw new Error('no sizes');
    const allocateP99Ratio = round(hi.allocateUs.p99 / lo.allocateUs.p99, 2);
    const result: ScaleResult = {
      sizes, allocateP99Ratio,
      decisionP99Ratio: round(hi.decisionUs.p99 / lo.decisionUs.p99, 2),
      scanDecisionP99Ratio: round(hi.scanDecisionUs.p99 / lo.scanDecisionUs.p99, 1),
      target: { p99Ratio: SCALE.targetRatio }, pass: allocateP99Ratio <= SCALE.targetRatio,
    };
    for (const s of sizes) log(`scale ${s.servers} servers: allocate p50 ${s.allocateUs.p50} µs, p99 ${s.allocateUs.p99} µs; decision p99 ${s.decisionUs.p99} µs (full walk ${s.scanDecisionUs.p99} µs)`);
    return result;
  } finally {
    for (const r of rigs) await r.store.close();
  }
}

export function renderScale(r: ScaleResult): string[] {
  const L = [`## Allocation against fleet size — **${r.pass ? 'PASS' : 'MISS'}**`, ''];
  L.push(`Target: p99 allocation latency at ${SCALE.sizes[1]} servers within ${r.target.p99Ratio}× of p99 at ${SCALE.sizes[0]}. Measured: **${r.allocateP99Ratio}×** (decision alone ${r.decisionP99Ratio}×; the full walk it replaced, the anchor: ${r.scanDecisionP99Ratio}×).`, '');
  L.push('| servers | allocations | allocate p50 µs | allocate p99 µs | allocate max µs | decision p50 µs | decision p99 µs | full-walk decision p50 / p99 µs (samples) |');
  L.push('|---|---|---|---|---|---|---|---|');
  for (const s of r.sizes) {
    L.push(`| ${s.servers} | ${s.allocations} | ${s.allocateUs.p50} | ${s.allocateUs.p99} | ${s.allocateUs.max} | ${s.decisionUs.p50} | ${s.decisionUs.p99} | ${s.scanDecisionUs.p50} / ${s.scanDecisionUs.p99} (${s.scanDecisionUs.samples}) |`);
  }
  L.push('', `In the bench process, sequential: \`AllocationService.allocate\` with its group commit to an in-memory SQLite (the fsync is the same for any fleet size and is measured over HTTP below), ${SCALE.sessionsPerServer} seats per server, the two fleets measured in ${SCALE.rounds} alternating rounds so that noise from other processes lands on both.`);
  return L;
}
