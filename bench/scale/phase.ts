/**
 * Bench phase `scale` (issue 8, target 3), run in a child process of its own so its resident
 * memory is its own: one control plane (real reconciler, planners, allocator, SQLite store) over
 * simulated game servers, with fleets of up to 5,000 servers each. Measured, in wall-clock time:
 * seeding rates, a reconcile pass with everything in place, resident memory, a restart of the
 * control plane on that store to its first answered allocation, and a blue-green release of the
 * first fleet (10,000 servers) while its players leave over simulated time — counting every
 * player a server dropped (must be 0).
 *
 * Usage: node --expose-gc --import tsx bench/scale/phase.ts [--servers N] [--sessions N] [--no-release] [--seed-through-api] [--drain-minutes M]
 * Sessions are written in bulk (bulk.ts) unless `--seed-through-api` opens them one allocation and join at a time.
 * Prints one JSON line (ScaleResult) last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RolloutStartSchema, toRolloutStart, type RolloutStartRequest } from '../../src/api/schemas.js';
import { SeededRandom } from '../../src/core/random.js';
import { isTerminalPhase } from '../../src/rollout/model.js';
import { bulkWorld } from './bulk.js';
import { baselineHeap, restartToFirstAllocation, runningHeapMb, type MemoryFigures, type RestartFigures } from './restart.js';
import { startScalePlane, type ScalePlane } from './plane.js';
import { applyFleets, bootServers, fleetName, leaveOverTime, openSessions, playerId, pump, seat, settle, type ScaleShape, type Seated } from './seed.js';

export const SCALE_TARGET = { servers: 100_000, sessions: 1_000_000, passMs: 200, rssMb: 2_048, coldStartMs: 2_000, blueGreenServers: 10_000, blueGreenSessions: 100_000, phaseMs: 6 * 60_000 };
/**
 * Anchors from the run before the bulk setup (bench/results/scale-100k.md of 2026-12-07 16:07, on
 * this machine at load 11–19): 100,000 servers booted through reconcile passes in 288 s, and the
 * phase had not finished after 38 minutes (blue-green still Draining at 720 s simulated).
 */
export const SCALE_ANCHOR = { bootAllMs: 288_000, phaseMs: 38 * 60_000 };
/** Servers per fleet: at the target size, ten fleets of 10,000, the first of which is released. */
const PER_FLEET = 10_000;
/** Timed passes, 1 simulated second apart, with players leaving and joining in between. */
const PASSES = 40;
/** Of them, planned whole (every server of every fleet, as before incremental passes): the anchor. */
const WHOLE_PASSES = 3;
/**
 * Simulated minutes within which the released fleet's players all leave (uniformly). A bench
 * parameter, not a product one: the release's own work (100,000 sessions closed, 10,000 servers
 * started and 10,000 retired, every commit) is the same at any value, but each simulated second
 * costs the simulation's own timers and health pings of every simulated server in this process —
 * at 100,000 servers that, not the control plane, was most of a 20-minute drain's time
 * (docs/scale.md, "The release"). Results before 2026-12-07 21:50 UTC used 20.
 */
export const RELEASE_DRAIN_MINUTES = 5;
/** Servers booted through real reconcile passes after the bulk setup: the boot figure. */
const BOOT_SERVERS = 2_000;

export interface ScaleResult {
  shape: ScaleShape & { servers: number; sessions: number };
  /**
   * `bulk`: servers placed running and sessions written straight into the store, then re-adopted
   * and read back by the timed restart, the first on that state (bulk.ts): `seedMs` in all, of
   * which `writeMs` writing (`firstStartMs`: a separate restart before the timed one, in results
   * from before 2026-12-07 evening; 0 now); then `booted` servers booted through reconcile passes
   * in `bootMs`, beyond the placed ones. Otherwise every server booted (`bootMs`) and every session opened
   * through the API (`seedMs`).
   */
  setup: { bulk: boolean; seedMs: number; writeMs: number; firstStartMs: number; sessionsPerS: number; bootMs: number; booted: number };
  /** Incremental passes under churn (`churnPerS` players leaving and as many joining per simulated second). */
  pass: { samples: number; p50Ms: number; maxMs: number; cpuP50Ms: number; cpuMaxMs: number; churnPerS: number };
  /** The same world planned whole: the anchor. */
  wholePass: { samples: number; p50Ms: number; cpuP50Ms: number };
  rssMb: number;
  heapMb: number;
  /** Restart → first answered allocation with the simulated fleet held (its reconnects come after; restart.ts). */
  restartToFirstAllocationMs: number;
  /** CPU time (user + system) of this process over that restart: the machine is shared, wall time is not all ours. */
  restartCpuMs: number;
  /** From the same restart to every open session loaded (they stream in after the API answers; the fleet reconnects meanwhile). */
  restartAllSessionsMs: number;
  /** The whole phase, setup included (wall): what `npm run bench` spends on it. */
  phaseMs: number;
  /** Memory after the restart, the control plane's share separated from the fleet's and the bench's (restart.ts); absent in results from before it. */
  memory?: MemoryFigures;
  /**
   * `cpuMs`: this process's CPU time (user + system, every thread) over the release; `drainMinutes`:
   * the simulated minutes its players left within. Both absent in results from before them (20 minutes then).
   */
  blueGreen: { servers: number; sessions: number; phase: string; interrupted: number; examples: string[]; simulatedS: number; wallMs: number; cpuMs?: number; drainMinutes?: number };
}

const ms = (t0: number): number => Math.round((performance.now() - t0) * 10) / 10;

export async function runScale(servers: number, sessions: number, log: (m: string) => void, release = true, bulk = true, drainMinutes = RELEASE_DRAIN_MINUTES): Promise<ScaleResult> {
  const fleets = Math.max(1, Math.round(servers / PER_FLEET));
  const shape: ScaleShape = { fleets, serversPerFleet: Math.round(servers / fleets), sessionsPerFleet: Math.round(sessions / fleets), sessionsPerServer: 16 };
  const phaseStart = performance.now();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-scale-'));
  const emptyHeap = baselineHeap();
  const plane = await startScalePlane(dataDir, (line) => (/error|failed|failure|^listening after/.test(line) ? log(`control plane: ${line}`) : undefined));
  try {
    const seated: Seated = { where: new Map(), interrupted: 0, examples: [] };
    // The bulk setup leaves the store written and no control plane: the timed restart is the
    // first on that state (one restart and one load of every session, not two).
    let restart: RestartFigures | null = null;
    let setup: ScaleResult['setup'];
    if (bulk) {
      const written = await bulkWrite(plane, shape, seated, log);
      restart = await timedRestart(plane, seated, emptyHeap, log);
      setup = await afterBulk(plane, shape, seated, written, log);
    } else {
      setup = await setupThroughApi(plane, shape, seated, log);
    }

    // Sessions last 20 simulated minutes on average: that many leave and join per second.
    const churnPerS = Math.max(1, Math.round(seated.where.size / 1_200));
    const timed = await timePasses(plane, seated, shape, churnPerS);
    global.gc?.();
    const mem = process.memoryUsage();
    log(`reconcile pass (incremental, ${churnPerS} players leaving and joining per s): p50 ${timed.pass.p50Ms} ms, max ${timed.pass.maxMs} ms (CPU p50 ${timed.pass.cpuP50Ms} ms, max ${timed.pass.cpuMaxMs} ms); whole pass p50 ${timed.whole.p50Ms} ms; RSS ${Math.round(mem.rss / 2 ** 20)} MB`);

    if (restart === null) restart = await timedRestart(plane, seated, emptyHeap, log);
    else restart.memory.controlPlaneHeapMb.running = runningHeapMb(restart.fleetOnlyHeap);
    const blueGreen = release ? await releaseFirstFleet(plane, seated, shape, log, drainMinutes) : { servers: 0, sessions: 0, phase: 'not run', interrupted: 0, examples: [], simulatedS: 0, wallMs: 0 };
    return {
      shape: { ...shape, servers: fleets * shape.serversPerFleet, sessions: fleets * shape.sessionsPerFleet },
      setup,
      pass: { ...timed.pass, churnPerS }, wholePass: timed.whole,
      rssMb: Math.round(mem.rss / 2 ** 20), heapMb: Math.round(mem.heapUsed / 2 ** 20),
      restartToFirstAllocationMs: restart.wallMs, restartCpuMs: restart.cpuMs, restartAllSessionsMs: restart.allSessionsMs, memory: restart.memory, blueGreen,
      phaseMs: ms(phaseStart),
    };
  } finally {
    await pump(plane, plane.cp.close()).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Every server placed running and every session written in bulk (bulk.ts), with no control
 * plane left running: the timed restart that follows is the first on that state.
 */
async function bulkWrite(plane: ScalePlane, shape: ScaleShape, seated: Seated, log: (m: string) => void): Promise<{ writeMs: number; t0: number }> {
  const t0 = performance.now();
  // Asking for no server yet: no pass launches one before the bulk writer places them.
  await applyFleets(plane, shape, () => 0);
  const times = await bulkWorld(plane, shape, seated, () => shape.serversPerFleet, () => shape.serversPerFleet, log, { restart: false });
  return { writeMs: times.writeMs, t0 };
}

async function timedRestart(plane: ScalePlane, seated: Seated, emptyHeap: number, log: (m: string) => void): Promise<RestartFigures> {
  const restart = await restartToFirstAllocation(plane, seated, emptyHeap);
  const m = restart.memory;
  log(`restart to first answered allocation (fleet held): ${restart.wallMs} ms (CPU ${restart.cpuMs} ms); every session loaded at ${restart.allSessionsMs} ms`);
  log(`memory: RSS ${m.rssMb} MB, heap ${m.heapMb} MB; control plane heap ${m.controlPlaneHeapMb.restarted} MB restarted; fleet and bench heap ${m.fleetAndBenchHeapMb} MB; RSS without them ~${m.rssWithoutFleetMb} MB${m.oldWorldCollected ? '' : ' (the closed control plane was NOT collected: the difference is not its alone)'}`);
  return restart;
}

/**
 * After the timed restart on the bulk state: the restarted control plane holds every seeded
 * session and the servers' roster reports agree (what validates the bulk rows against the real
 * services), then the last fleet is scaled up by `BOOT_SERVERS` through `POST /v1/apply` and
 * they boot through real reconcile passes in the full-size world (the boot figure).
 */
async function afterBulk(plane: ScalePlane, shape: ScaleShape, seated: Seated, written: { writeMs: number; t0: number }, log: (m: string) => void): Promise<ScaleResult['setup']> {
  const last = shape.fleets - 1;
  const boot = Math.min(BOOT_SERVERS, Math.floor(shape.serversPerFleet / 5));
  await checkLoaded(plane, seated.where.size);
  // Every server's watch reconnects within 2 simulated s and reports its roster: verified here,
  // as part of the setup, not inside the boot or the timed passes.
  for (let s = 0; s < 3; s++) {
    plane.clock.advance(1_000);
    await settle(20);
  }
  const seedMs = ms(written.t0);
  log(`${shape.fleets * shape.serversPerFleet} servers placed and ${seated.where.size} sessions written in bulk (${written.writeMs} ms), re-adopted and read back by the timed restart: ${seedMs} ms`);
  const t1 = performance.now();
  await applyFleets(plane, shape, (f) => (f === last ? shape.serversPerFleet + boot : shape.serversPerFleet), [last]);
  await bootServers(plane, shape.serversPerFleet + boot, log, fleetName(last));
  const bootMs = ms(t1);
  log(`${boot} more servers booted through reconcile passes in ${bootMs} ms (passes and the release run with ${shape.fleets * shape.serversPerFleet + boot} servers)`);
  return { bulk: true, seedMs, writeMs: written.writeMs, firstStartMs: 0, sessionsPerS: Math.round(seated.where.size / (seedMs / 1000)), bootMs, booted: boot };
}

/** The slow way, for comparison: every server booted by reconcile passes, every session opened by an allocation and a join. */
async function setupThroughApi(plane: ScalePlane, shape: ScaleShape, seated: Seated, log: (m: string) => void): Promise<ScaleResult['setup']> {
  await applyFleets(plane, shape);
  let t0 = performance.now();
  const count = shape.fleets * shape.serversPerFleet;
  await bootServers(plane, count, log);
  const bootMs = ms(t0);
  log(`${count} servers Ready in ${bootMs} ms`);
  t0 = performance.now();
  await openSessions(plane, shape, seated, log);
  const seedMs = ms(t0);
  log(`${seated.where.size} sessions open in ${seedMs} ms`);
  return { bulk: false, seedMs, writeMs: 0, firstStartMs: 0, sessionsPerS: Math.round(seated.where.size / (seedMs / 1000)), bootMs, booted: count };
}

/**
 * The restarted control plane holds every seeded session (once its background load is done) and
 * no roster report closed one: what validates the bulk rows against the real services.
 */
async function checkLoaded(plane: ScalePlane, expected: number): Promise<void> {
  await pump(plane, plane.cp.sessionsLoaded);
  await settle(20);
  const open = plane.cp.world.sessions.size;
  if (open !== expected) throw new Error(`the control plane loaded ${open} open sessions of ${expected} seeded`);
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const r1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * Passes as they run in service: between two, a simulated second passes (health pings, the
 * reconciler's own schedule) and `churn` players leave their servers and as many new ones are
 * allocated and join. Only `passNow` is timed. Every fleet is swept whole once its last whole
 * plan is 30 s old, one fleet per pass, so the maximum includes a sweep.
 */
async function timePasses(plane: ScalePlane, seated: Seated, shape: ScaleShape, churn: number): Promise<{ pass: Omit<ScaleResult['pass'], 'churnPerS'>; whole: ScaleResult['wholePass'] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  const wholeWall: number[] = [];
  const wholeCpu: number[] = [];
  // Each fleet's players leave oldest first and as many join it: the fleets keep their size
  // (the blue-green release that follows has the whole first fleet's players).
  const left = new Array<number>(shape.fleets).fill(0);
  const next = shape.sessionsPerFleet;
  for (let i = 0; i < PASSES + WHOLE_PASSES; i++) {
    const jobs: Promise<void>[] = [];
    for (let k = 0; k < churn; k++) {
      const f = (i * churn + k) % shape.fleets;
      const player = playerId(f, (left[f] = (left[f] ?? 0) + 1) - 1);
      const serverId = seated.where.get(player);
      seated.where.delete(player);
      if (serverId !== undefined) plane.gameServer(serverId)?.leave(player);
      jobs.push(seat(plane, fleetName(f), playerId(f, next + Math.floor((i * churn + k) / shape.fleets)), seated));
    }
    await Promise.all(jobs);
    plane.clock.advance(1_000);
    await settle();
    const whole = i >= PASSES;
    const [t0, c0] = [performance.now(), cpuMs()];
    await plane.cp.reconciler.passNow({ whole });
    (whole ? wholeWall : wall).push(performance.now() - t0);
    (whole ? wholeCpu : cpu).push(cpuMs() - c0);
  }
  return {
    pass: { samples: wall.length, p50Ms: r1(median(wall)), maxMs: r1(Math.max(...wall)), cpuP50Ms: r1(median(cpu)), cpuMaxMs: r1(Math.max(...cpu)) },
    whole: { samples: wholeWall.length, p50Ms: r1(median(wholeWall)), cpuP50Ms: r1(median(wholeCpu)) },
  };
}

/** A blue-green release of fleet 0 while its players leave within `drainMinutes` simulated minutes. */
async function releaseFirstFleet(plane: ScalePlane, seated: Seated, shape: ScaleShape, log: (m: string) => void, drainMinutes: number): Promise<ScaleResult['blueGreen']> {
  const random = new SeededRandom(88);
  const players = leaveOverTime(plane, seated, 'f0p', drainMinutes * 60_000, () => random.uniform(0, 1));
  const [t0, c0] = [performance.now(), cpuMs()];
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
  return { servers: shape.serversPerFleet, sessions: players, phase, interrupted: seated.interrupted, examples: seated.examples, simulatedS: Math.round((plane.clock.now() - simStart) / 1000), wallMs: ms(t0), cpuMs: r1(cpuMs() - c0), drainMinutes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { servers: { type: 'string', default: '10000' }, sessions: { type: 'string', default: '100000' }, 'no-release': { type: 'boolean', default: false }, 'seed-through-api': { type: 'boolean', default: false }, 'drain-minutes': { type: 'string', default: String(RELEASE_DRAIN_MINUTES) } } });
  const result = await runScale(Number(values.servers), Number(values.sessions), (m) => process.stderr.write(`[scale] ${m}\n`), !values['no-release'], !values['seed-through-api'], Number(values['drain-minutes']));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
