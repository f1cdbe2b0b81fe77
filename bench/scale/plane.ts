/**
 * The scale bench's control plane: the real composition (`startControlPlane`: reconciler,
 * planners, allocator, SQLite store) over a `SimulatedRuntime` on a fake clock, in this process.
 * The clock is fake so that setting up 100,000 servers and 1,000,000 sessions takes no simulated
 * waiting (boots, health pings) and nothing expires while it is built; every figure reported is
 * wall-clock time measured around real work.
 */
import path from 'node:path';
import { FakeClock } from '../../src/core/clock.js';
import { gameServerOn, gameServerProgram, type SimulatedGameServer } from '../../src/runtime/simulated/game-server.js';
import { SimulatedHost } from '../../src/runtime/simulated/host.js';
import { SimulatedRuntime } from '../../src/runtime/simulated/simulated-runtime.js';
import { startControlPlane, type ControlPlane } from '../../src/server/compose.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

export interface ScalePlane {
  clock: FakeClock;
  host: SimulatedHost;
  cp: ControlPlane;
  /** The control plane's SQLite file. */
  dbPath: string;
  /** Starts a new incarnation on the same store and host (the old one must be closed). */
  restart(): Promise<ControlPlane>;
  /**
   * Lets go of the (closed) control plane until `restart`: memory measured meanwhile is the
   * simulated fleet's and the bench's (restart.ts). `cp` throws until then.
   */
  forget(): void;
  /** Whether a control plane is attached (false between `forget` and `restart`). */
  readonly attached: boolean;
  /** The World of the control plane last forgotten: whether it was collected tells memory read after it is the fleet's alone. */
  readonly forgottenWorld: WeakRef<object> | null;
  gameServer(serverId: string): SimulatedGameServer | undefined;
}

/**
 * Servers that boot in 0.1–1 s and never crash or stall: the bench measures the control plane,
 * not chaos. They ping health every 30 s (the SDK's default is 2 s; the fleets' health timeout
 * here is 600 s): the simulated servers run in this process on the fake clock, and 100,000 of
 * them pinging every few seconds made each simulated second cost most of a wall second in
 * timers and promises of the simulation itself, while a ping costs the control plane a lookup
 * and a field write (`ServerService.health`).
 */
const STEADY = gameServerProgram({ startLatencyMs: { min: 100, max: 1_000 }, healthIntervalMs: 30_000, drainMs: 100 });

export async function startScalePlane(dataDir: string, log: (line: string) => void): Promise<ScalePlane> {
  const clock = new FakeClock();
  const host = new SimulatedHost({ clock, seed: 8, defaultProgram: STEADY, keepEnded: 100, logLines: 4 });
  const dbPath = path.join(dataDir, 'handoff.db');
  const open = async (): Promise<ControlPlane> => {
    // fsync skipped while building: the phase measures passes and start-up, not the disk.
    // Checkpoints PASSIVE only: a size- or idle-triggered TRUNCATE blocks writers, and under the
    // seeding's sustained writes on this shared disk it outlasted the 5 s busy timeout ("database
    // is locked", the control plane stopped). The bench truncates at quiet points (`truncateWal`).
    const store = SqliteStore.open(dbPath, {
      fsync: (_fd, done) => done(null), checkpoint: { maxWalBytes: 2 ** 50, idleAfterMs: 2 ** 40 },
    });
    const runtime = SimulatedRuntime.create({ host, clock });
    return startControlPlane(
      // Timed passes are run by the bench (`passNow`); scheduled ones run as the fake clock moves.
      { dataDir, port: 0, sdkPort: 0, host: '127.0.0.1', reconcileIntervalMs: 1_000, reservationTtlMs: 3_600_000 },
      { clock, store, runtime, log, logStartTimings: true, onFatal: (e) => log(`store failure: ${String(e)} ${JSON.stringify((e as { details?: unknown }).details ?? null)}`) },
    );
  };
  let current: ControlPlane | null = await open();
  let forgotten: WeakRef<object> | null = null;
  const plane: ScalePlane = {
    clock, host, dbPath,
    get cp(): ControlPlane {
      if (current === null) throw new Error('the scale plane has no control plane (forgotten, not restarted)');
      return current;
    },
    set cp(cp: ControlPlane) {
      current = cp;
    },
    async restart() {
      current = await open();
      return current;
    },
    forget() {
      if (current !== null) forgotten = new WeakRef(current.world);
      current = null;
    },
    get forgottenWorld(): WeakRef<object> | null {
      return forgotten;
    },
    get attached(): boolean {
      return current !== null;
    },
    gameServer: (id) => gameServerOn(host, id),
  };
  return plane;
}
