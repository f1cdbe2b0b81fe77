/**
 * The `hosts` phase of `npm run bench` (issue 10): `npm run bench -- --only hosts` runs it alone.
 *   placement   decisions per second of the pure planner (src/hosts/place.ts) over 1,000 hosts
 *   reconcile   the real control plane (reconciler, planners, SQLite store) on a fake clock over a
 *               MultiHostRuntime of 1,000 simulated hosts: the passes that place and start every
 *               server, then whole passes with everything in place, then incremental passes while
 *               servers crash and are replaced through placement
 * Figures are reported beside their targets, never asserted. Options: --hosts N (1,000)
 * --servers-per-host N (100) --placement-ms N (1,000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApplyRequestSchema } from '../src/api/schemas.js';
import { FakeClock } from '../src/core/clock.js';
import { HandoffError } from '../src/core/errors.js';
import type { Host } from '../src/hosts/model.js';
import { placeOne, type PlacementHost } from '../src/hosts/place.js';
import { HostPlacer } from '../src/hosts/placer.js';
import { MultiHostRuntime } from '../src/runtime/hosts/multi-host-runtime.js';
import { gameServerProgram } from '../src/runtime/simulated/game-server.js';
import { SimulatedHost } from '../src/runtime/simulated/host.js';
import { SimulatedRuntime } from '../src/runtime/simulated/simulated-runtime.js';
import type { AdoptResult, RuntimeExit, RuntimeInstance, ServerLaunch } from '../src/runtime/port.js';
import { startControlPlane, type ControlPlane } from '../src/server/compose.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { SCALE_TARGET } from './scale/phase.js';
import { settle } from './scale/seed.js';

/** A thousand servers placed within a second; a pass as fast as the one-host scale target. */
export const HOSTS_TARGET = { hosts: 1_000, serversPerHost: 100, placementsPerS: 1_000, passMs: SCALE_TARGET.passMs };

export interface HostsBenchResult {
  target: typeof HOSTS_TARGET;
  shape: { hosts: number; zones: number; serversPerHost: number; servers: number };
  placement: { decisions: number; perS: number; usPerDecision: number } | null;
  reconcile: { churn: { perS: number; passes: number; wallP50Ms: number; cpuP50Ms: number; cpuMaxMs: number }; bootPasses: number; bootWallMs: number; bootCpuMs: number; placedPerS: number; wholePassP50Ms: number; wholePassMaxMs: number; wholePassCpuP50Ms: number } | null;
  verdicts: { figure: string; value: string; target: string; pass: boolean }[];
  errors: string[];
}

export function hostsOnly(argv: readonly string[]): boolean {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return false;
  return (argv[i]?.includes('=') ? argv[i]?.split('=')[1] : argv[i + 1]) === 'hosts';
}

const ZONES = 10;
const hostId = (i: number): string => `h${String(i).padStart(4, '0')}`;

/** Deterministic pseudo-random usage, so two runs place over the same hosts. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
}

function measurePlacement(hosts: number, perHost: number, forMs: number): NonNullable<HostsBenchResult['placement']> {
  const rnd = lcg(10);
  const view: PlacementHost[] = Array.from({ length: hosts }, (_, i) => {
    const used = Math.floor(rnd() * perHost);
    const fleet = Math.floor(rnd() * used);
    return {
      id: hostId(i), zone: `z${i % ZONES}`, state: rnd() < 0.05 ? 'Cordoned' : 'Ready',
      capacity: { slots: perHost, cpuMillis: null, memoryMb: null }, used: { slots: used, cpuMillis: 0, memoryMb: 0 },
      fleetServers: fleet, buildServers: Math.floor(rnd() * fleet),
    };
  });
  let decisions = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < forMs) {
    for (let i = 0; i < 100; i++) if (placeOne(view, { cpuMillis: 0, memoryMb: 0 }, 'spread').hostId !== null) decisions++;
  }
  const ms = performance.now() - t0;
  return { decisions, perS: Math.round((decisions / ms) * 1000), usPerDecision: Math.round((ms * 1000 * 10) / decisions) / 10 };
}

/**
 * The runtime the control plane is given: a MultiHostRuntime over simulated hosts. It is a
 * SimulatedRuntime too (on the same simulated machine), so the wiring plugs the SDK in and
 * validates launches as it does for the simulated runtime; every operation goes to the hosts.
 */
class SimulatedHosts extends SimulatedRuntime {
  constructor(host: SimulatedHost, clock: FakeClock, readonly multi: MultiHostRuntime) {
    super({ host, clock });
  }
  override start(l: ServerLaunch): Promise<RuntimeInstance> {
    return this.multi.start(l);
  }
  override stop(id: string, o: { graceMs: number }): Promise<void> {
    return this.multi.stop(id, o);
  }
  override adopt(i: readonly RuntimeInstance[]): Promise<AdoptResult> {
    return this.multi.adopt(i);
  }
  override find(id: string): Promise<RuntimeInstance | undefined> {
    return this.multi.find(id);
  }
  override onExit(l: (exit: RuntimeExit) => void): void {
    this.multi.onExit(l);
  }
  override async close(): Promise<void> {
    await this.multi.close();
    await super.close();
  }
}

async function measureReconcile(hosts: number, perHost: number, log: (m: string) => void): Promise<NonNullable<HostsBenchResult['reconcile']>> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-bench-hosts-'));
  const clock = new FakeClock();
  const sim = new SimulatedHost({ clock, seed: 10, defaultProgram: gameServerProgram({ startLatencyMs: { min: 100, max: 1_000 }, healthIntervalMs: 5_000, drainMs: 100 }), keepEnded: 100, logLines: 4 });
  const registry: Host[] = Array.from({ length: hosts }, (_, i) => ({
    id: hostId(i), zone: `z${i % ZONES}`, region: 'bench', publicAddress: '127.0.0.1', portRange: { from: 7400, to: 7999 },
    capacity: { slots: perHost, cpuMillis: null, memoryMb: null }, schedule: 'Ready', registeredAt: 0, lastHeartbeatAt: Number.MAX_SAFE_INTEGER,
  }));
  // As server/hosts.ts places: the product's placer over the registry (which no pass changes here).
  const placer = new HostPlacer({ version: () => 0, all: () => registry }, { heartbeatTimeoutMs: 10_000, alwaysAlive: new Set() });
  const ref: { cp: ControlPlane | null } = { cp: null };
  const remotes = new Map<string, SimulatedRuntime>();
  const multi = new MultiHostRuntime({
    embedded: { hostId: 'local', runtime: SimulatedRuntime.create({ host: sim, clock }) },
    remote: (id) => remotes.get(id) ?? remotes.set(id, SimulatedRuntime.create({ host: sim, clock })).get(id)!,
    place: (launch, usage) => {
      const p = placer.place(usage, launch.fleet, launch.build.id, { cpuMillis: 0, memoryMb: 0 }, { policy: 'spread', zones: null }, clock.now());
      if (p.hostId === null) throw new HandoffError('HOST_CAPACITY_EXHAUSTED', undefined, { reason: p.reason });
      return p.hostId;
    },
    connectedHosts: () => registry.map((h) => h.id),
    fleetOf: (id) => ref.cp?.world.servers.get(id),
  });
  const store = SqliteStore.open(path.join(dataDir, 'handoff.db'), { fsync: (_fd, done) => done(null), checkpoint: { maxWalBytes: 2 ** 50, idleAfterMs: 2 ** 40 } });
  const cp = await startControlPlane(
    { dataDir, port: 0, sdkPort: 0, host: '127.0.0.1', reconcileIntervalMs: 3_600_000, reservationTtlMs: 3_600_000 },
    { clock, store, runtime: new SimulatedHosts(sim, clock, multi), log: () => undefined },
  );
  ref.cp = cp;
  try {
    const servers = hosts * perHost;
    const fleets = Math.max(1, Math.ceil(servers / 10_000));
    const perFleet = Math.ceil(servers / fleets);
    await cp.api.fleets.apply(ApplyRequestSchema.parse({
      builds: [{ id: 'hosts-v1', version: '1.0.0', sessionsPerServer: 10, ports: [], launch: { executable: 'game-server', args: [] } }],
      fleets: Array.from({ length: fleets }, (_, i) => ({
        name: `hosts-${i}`, build: 'hosts-v1', capacity: { minServers: perFleet, maxServers: perFleet, bufferServers: 0, idleTimeoutSeconds: 3_600 },
        health: { timeoutSeconds: 600, startTimeoutSeconds: 600, stopGraceSeconds: 30 },
      })),
    }));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let passes = 0;
    for (;;) {
      await cp.reconciler.passNow();
      passes++;
      clock.advance(1_000);
      await settle();
      let ready = 0;
      for (const s of cp.world.servers.values()) if (s.state === 'Ready') ready++;
      if (passes % 5 === 0) log(`hosts: boot pass ${passes}: ${ready}/${fleets * perFleet} Ready`);
      if (ready >= fleets * perFleet) break;
      if (passes > 300) throw new Error(`only ${ready} of ${fleets * perFleet} servers Ready after ${passes} passes`);
    }
    const bootWallMs = Math.round(performance.now() - t0);
    const bootCpu = process.cpuUsage(cpu0);
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [w0, c0] = [performance.now(), process.cpuUsage()];
      await cp.reconciler.passNow({ whole: true });
      const c = process.cpuUsage(c0);
      walls.push(performance.now() - w0);
      cpus.push((c.user + c.system) / 1000);
    }
    const med = (xs: number[]): number => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN);
    const churn = await churnPasses(cp, sim, clock, Math.max(1, Math.round((fleets * perFleet) / 2_000)));
    log(`hosts: incremental passes with ${churn.perS} servers crashing per s (replaced through placement): CPU per simulated s p50 ${churn.cpuP50Ms} ms, max ${churn.cpuMaxMs} ms; wall p50 ${churn.wallP50Ms} ms`);
    return { churn, bootPasses: passes, bootWallMs, bootCpuMs: Math.round((bootCpu.user + bootCpu.system) / 1000), placedPerS: Math.round((fleets * perFleet * 1000) / bootWallMs), wholePassP50Ms: med(walls), wholePassMaxMs: Math.round(Math.max(...walls)), wholePassCpuP50Ms: med(cpus) };
  } finally {
    await cp.close({ stopServers: false });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Incremental passes under churn: each simulated second `perS` Ready servers crash (SIGKILL on
 * their simulated host), the clock moves a second and a pass runs. The crashes kick passes of
 * their own, which replace the servers through placement before the pass asked for here, so the
 * whole second is timed — exits recorded, every pass, the replacements launched and booting on
 * the simulated hosts: an upper bound of the passes' cost.
 */
async function churnPasses(cp: ControlPlane, sim: SimulatedHost, clock: FakeClock, perS: number): Promise<NonNullable<HostsBenchResult['reconcile']>['churn']> {
  const rnd = lcg(11);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < CHURN_PASSES; i++) {
    const ready = [...cp.world.servers.values()].filter((s) => s.state === 'Ready' && s.pid !== null);
    const [w0, c0] = [performance.now(), process.cpuUsage()];
    for (let k = 0; k < perS && ready.length > 0; k++) {
      const [victim] = ready.splice(Math.floor(rnd() * ready.length), 1);
      if (victim?.pid != null) sim.signal(victim.pid, 'SIGKILL', false);
    }
    clock.advance(1_000);
    await settle();
    await cp.reconciler.passNow();
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - w0);
    cpu.push((c.user + c.system) / 1000);
  }
  const med = (xs: number[]): number => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN);
  return { perS, passes: CHURN_PASSES, wallP50Ms: med(wall), cpuP50Ms: med(cpu), cpuMaxMs: Math.round(Math.max(...cpu)) };
}

const CHURN_PASSES = 20;

export async function runHostsBench(argv: readonly string[], log: (m: string) => void): Promise<HostsBenchResult> {
  const { values } = parseArgs({ args: [...argv], options: { hosts: { type: 'string', default: '1000' }, 'servers-per-host': { type: 'string', default: '100' }, 'placement-ms': { type: 'string', default: '1000' } }, strict: false });
  const num = (v: unknown, d: number): number => (typeof v === 'string' && Number.isInteger(Number(v)) && Number(v) > 0 ? Number(v) : d);
  const hosts = num(values.hosts, HOSTS_TARGET.hosts);
  const perHost = num(values['servers-per-host'], HOSTS_TARGET.serversPerHost);
  const r: HostsBenchResult = { target: HOSTS_TARGET, shape: { hosts, zones: ZONES, serversPerHost: perHost, servers: hosts * perHost }, placement: null, reconcile: null, verdicts: [], errors: [] };
  const t = HOSTS_TARGET;
  const atScale = hosts >= t.hosts;
  const at = `at ${hosts.toLocaleString('en')} hosts in ${ZONES} zones`;
  try {
    log(`hosts: placement decisions over ${hosts} hosts for ${num(values['placement-ms'], 1000)} ms`);
    r.placement = measurePlacement(hosts, perHost, num(values['placement-ms'], 1000));
    r.verdicts.push({ figure: 'placement decisions/s', value: `${r.placement.perS.toLocaleString('en')}/s (${r.placement.usPerDecision} µs each) ${at}`, target: `≥ ${t.placementsPerS.toLocaleString('en')}/s at ${t.hosts.toLocaleString('en')} hosts`, pass: atScale && r.placement.perS >= t.placementsPerS });
  } catch (e) {
    r.errors.push(`placement: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  try {
    log(`hosts: reconcile over ${hosts} simulated hosts × ${perHost} servers (the real control plane, fake clock)`);
    r.reconcile = await measureReconcile(hosts, perHost, log);
    const full = atScale && perHost >= t.serversPerHost;
    const shape = `${(hosts * perHost).toLocaleString('en')} servers on ${hosts.toLocaleString('en')} hosts`;
    r.verdicts.push({ figure: 'reconcile pass, every server in place (whole): wall p50 / max; CPU p50', value: `${r.reconcile.wholePassP50Ms} / ${r.reconcile.wholePassMaxMs} ms; CPU ${r.reconcile.wholePassCpuP50Ms} ms, ${shape}`, target: `≤ ${t.passMs} ms CPU at ${t.hosts.toLocaleString('en')} × ${t.serversPerHost} (the one-host scale target, judged there on incremental passes; this is the whole pass, every server planned)`, pass: full && r.reconcile.wholePassCpuP50Ms <= t.passMs });
    const ch = r.reconcile.churn;
    r.verdicts.push({ figure: 'reconcile passes, incremental, servers crashing and replaced: CPU per simulated second p50 / max; wall p50', value: `${ch.cpuP50Ms} / ${ch.cpuMaxMs} ms; wall ${ch.wallP50Ms} ms (${ch.perS} crashes/s, ${ch.passes} passes), ${shape}`, target: `≤ ${t.passMs} ms at ${t.hosts.toLocaleString('en')} × ${t.serversPerHost}, judged on the maximum as the scale phase's passes are`, pass: full && ch.cpuMaxMs <= t.passMs });
    r.verdicts.push({ figure: 'placing and starting every server', value: `${r.reconcile.bootPasses} passes, ${r.reconcile.bootWallMs} ms (${r.reconcile.placedPerS.toLocaleString('en')} servers/s; CPU ${r.reconcile.bootCpuMs} ms), ${shape}`, target: 'reported', pass: true });
  } catch (e) {
    r.errors.push(`reconcile: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  for (const v of r.verdicts) log(`${v.pass ? 'PASS' : 'MISS'} hosts, ${v.figure}: ${v.value} (target ${v.target})`);
  return r;
}

export function renderHosts(r: HostsBenchResult): string {
  const rows = r.verdicts.map((v) => `| ${v.figure} | ${v.value} | ${v.target} | ${v.pass ? 'PASS' : 'MISS'} |`);
  return ['', '## Hosts (issue 10)', '', '| figure | value | target | |', '|---|---|---|---|', ...rows, ...r.errors.map((e) => `\nERROR ${e.split('\n')[0] ?? ''}`), ''].join('\n');
}
