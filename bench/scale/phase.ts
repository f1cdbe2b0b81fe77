/**
 * Bench phase `scale` (issue 8, target 3), run in a child process of its own so its resident
 * memory is its own: one control plane (real reconciler, planners, allocator, SQLite store) over
 * simulated game servers, with fleets of up to 5,000 servers each. Measured, in wall-clock time:
 * seeding rates, a reconcile pass with everything in place, resident memory, a restart of the
 * control plane on that store to its first answered allocation, and a blue-green release of the
 * first fleet (10,000 servers) while its players leave over simulated time — counting every
 * player a server dropped (must be 0).
 *
 * Usage: node --expose-gc --import tsx bench/scale/phase.ts [--servers N] [--sessions N] [--no-release]
 * Prints one JSON line (ScaleResult) last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AllocationRequestSchema, RolloutStartSchema, toRolloutStart, type RolloutStartRequest } from '../../src/api/schemas.js';
import { SeededRandom } from '../../src/core/random.js';
import { isTerminalPhase } from '../../src/rollout/model.js';
import { startScalePlane, type ScalePlane } from './plane.js';
import { applyFleets, bootServers, fleetName, leaveOverTime, openSessions, pump, settle, type ScaleShape, type Seated } from './seed.js';

export const SCALE_TARGET = { servers: 100_000, sessions: 1_000_000, passMs: 200, rssMb: 2_048, coldStartMs: 2_000, blueGreenServers: 10_000, blueGreenSessions: 100_000 };
/** Servers per fleet: the API caps a fleet's maxServers at 10,000, and a blue-green release needs room for twice its servers. */
const PER_FLEET = 5_000;

export interface ScaleResult {
  shape: ScaleShape & { servers: number; sessions: number };
  setup: { bootMs: number; seedMs: number; sessionsPerS: number };
  pass: { samples: number; p50Ms: number; maxMs: number };
  rssMb: number;
  heapMb: number;
  restartToFirstAllocationMs: number;
  blueGreen: { servers: number; sessions: number; phase: string; interrupted: number; examples: string[]; simulatedS: number; wallMs: number };
}

const ms = (t0: number): number => Math.round((performance.now() - t0) * 10) / 10;

export async function runScale(servers: number, sessions: number, log: (m: string) => void, release = true): Promise<ScaleResult> {
  const fleets = Math.max(1, Math.round(servers / PER_FLEET));
  const shape: ScaleShape = { fleets, serversPerFleet: Math.round(servers / fleets), sessionsPerFleet: Math.round(sessions / fleets), sessionsPerServer: 16 };
  const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-scale-'));
  const plane = await startScalePlane(dataDir, (line) => (/error|failed|failure/.test(line) ? log(`control plane: ${line}`) : undefined));
  try {
    await applyFleets(plane, shape);
    let t0 = performance.now();
    await bootServers(plane, fleets * shape.serversPerFleet, log);
    const bootMs = ms(t0);
    log(`${fleets * shape.serversPerFleet} servers Ready in ${bootMs} ms`);
    const seated: Seated = { where: new Map(), interrupted: 0, examples: [] };
    t0 = performance.now();
    await openSessions(plane, shape, seated, log);
    const seedMs = ms(t0);
    log(`${seated.where.size} sessions open in ${seedMs} ms`);

    const samples: number[] = [];
    for (let i = 0; i < 15; i++) {
      t0 = performance.now();
      await plane.cp.reconciler.passNow();
      samples.push(ms(t0));
    }
    samples.sort((a, b) => a - b);
    global.gc?.();
    const mem = process.memoryUsage();
    log(`reconcile pass p50 ${samples[7]} ms, max ${samples[14]} ms; RSS ${Math.round(mem.rss / 2 ** 20)} MB`);

    const restartMs = await restartToFirstAllocation(plane, seated);
    log(`restart to first answered allocation: ${restartMs} ms`);
    const blueGreen = release ? await releaseFirstFleet(plane, seated, shape, log) : { servers: 0, sessions: 0, phase: 'not run', interrupted: 0, examples: [], simulatedS: 0, wallMs: 0 };
    return {
      shape: { ...shape, servers: fleets * shape.serversPerFleet, sessions: fleets * shape.sessionsPerFleet },
      setup: { bootMs, seedMs, sessionsPerS: Math.round((fleets * shape.sessionsPerFleet) / (seedMs / 1000)) },
      pass: { samples: samples.length, p50Ms: samples[7] ?? NaN, maxMs: samples[samples.length - 1] ?? NaN },
      rssMb: Math.round(mem.rss / 2 ** 20), heapMb: Math.round(mem.heapUsed / 2 ** 20),
      restartToFirstAllocationMs: restartMs, blueGreen,
    };
  } finally {
    await pump(plane, plane.cp.close()).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Closes the control plane (game servers keep running on the simulated host), then times a new
 * one on the same SQLite file: load, re-adopt every server, listen, answer an allocation.
 */
async function restartToFirstAllocation(plane: ScalePlane, seated: Seated): Promise<number> {
  await pump(plane, plane.cp.close());
  global.gc?.();
  const t0 = performance.now();
  await pump(plane, (async () => {
    const cp = await plane.restart();
    await cp.api.allocations.allocate(AllocationRequestSchema.parse({ fleet: fleetName(0), playerId: 'f0p-first' }));
  })());
  const elapsed = ms(t0);
  // That player joins too (a reservation nobody uses would hold its server through the release).
  await pump(plane, plane.cp.api.allocations.allocate(AllocationRequestSchema.parse({ fleet: fleetName(0), playerId: 'f0p-first' })).then(async ({ response }) => {
    const game = plane.gameServer(response.server.id);
    const joined = await game?.join({ playerId: 'f0p-first', joinToken: response.joinToken, disconnected: () => void (seated.interrupted += 1) });
    if (joined?.ok) seated.where.set('f0p-first', response.server.id);
  }));
  return elapsed;
}

/** A blue-green release of fleet 0 while its players leave within 20 simulated minutes. */
async function releaseFirstFleet(plane: ScalePlane, seated: Seated, shape: ScaleShape, log: (m: string) => void): Promise<ScaleResult['blueGreen']> {
  const random = new SeededRandom(88);
  const players = leaveOverTime(plane, seated, 'f0p', 20 * 60_000, () => random.uniform(0, 1));
  const t0 = performance.now();
  const simStart = plane.clock.now();
  const request = RolloutStartSchema.parse({ fleet: fleetName(0), build: 'scale-v2', strategy: 'blue-green', oldIdleSeconds: 30 }) as RolloutStartRequest;
  const rollout = await plane.cp.api.rollouts.start(toRolloutStart(request));
  let phase: string = rollout.phase;
  // 5 s steps: one scheduled pass per step (the next is scheduled once a pass ends).
  for (let s = 0; s < 45 * 60; s += 5) {
    plane.clock.advance(5_000);
    await settle(6);
    const r = plane.cp.world.rollouts.get(rollout.id);
    phase = r?.phase ?? (await plane.cp.store.getRollout(rollout.id))?.phase ?? 'gone';
    if (s % 120 === 0) log(`  blue-green: ${phase}, ${s} s simulated, ${seated.interrupted} interrupted`);
    if (r === undefined || isTerminalPhase(r.phase)) break;
  }
  return { servers: shape.serversPerFleet, sessions: players, phase, interrupted: seated.interrupted, examples: seated.examples, simulatedS: Math.round((plane.clock.now() - simStart) / 1000), wallMs: ms(t0) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { servers: { type: 'string', default: '10000' }, sessions: { type: 'string', default: '100000' }, 'no-release': { type: 'boolean', default: false } } });
  const result = await runScale(Number(values.servers), Number(values.sessions), (m) => process.stderr.write(`[scale] ${m}\n`), !values['no-release']);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
