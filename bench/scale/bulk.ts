/**
 * Bulk setup for the scale bench: the world the real doors would have built (servers launched
 * by reconcile passes that reported Ready, then one allocation and one join per player), put in
 * place in seconds instead of minutes, while the control plane is down:
 *
 * - every game server is placed on the simulated host already running and Ready
 *   (`SimulatedHost.place`: its program resumes, pinging health and watching its notices), and
 *   its record written as `ServerService.launch`, `attach` and `ready` leave it;
 * - every session is the `Session` an allocation creates (`AllocationService.allocate`, with the
 *   request schema's defaults) in the `Connected` form `SessionService.started` commits, its
 *   server `Active` with `emptySince: null` as `occupancyChanged` leaves it, and its player is
 *   seated on that game server (`seatConfirmed`) so the roster it reports agrees with the store;
 * - every fleet's capacity is what `apply` would have recorded.
 *
 * All of it goes through the store's own `commit` (`putServer`, `putSession`, `putFleet`), in
 * large transactions. Ids are the only liberty taken: generated ids are random, these count up
 * (same alphabet and length; ids are opaque to the control plane), so every index of the
 * sessions table is written in order — appended, not inserted at random pages (with random ids,
 * a million sessions took minutes to write on this machine). The one restart that follows re-adopts every server through the real
 * `servers.recover()` and `SimulatedRuntime.adopt`, and reads every session back.
 */
import { newToken } from '../../src/core/ids.js';
import type { Fleet, GameServer } from '../../src/fleet/model.js';
import { simulatedLogPath } from '../../src/runtime/simulated/simulated-runtime.js';
import type { Session } from '../../src/session/model.js';
import type { Mutation } from '../../src/store/port.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ScalePlane } from './plane.js';
import { fleetName, playerId, pump, type ScaleShape, type Seated } from './seed.js';

/** Rows per transaction: large enough that commit overhead vanishes, small enough to bound the WAL step. */
const CHUNK = 100_000;
const ADDRESS = '127.0.0.1';

export interface BulkTimes {
  /** Servers placed on the host and their rows, sessions and their rows, written and checkpointed. */
  writeMs: number;
  /** The restart on that state: load, re-adopt every server, listen (0 when left to the caller). */
  startMs: number;
  rows: number;
}

/**
 * Closes the control plane, places `servers(f)` running servers per fleet and spreads
 * `shape.sessionsPerFleet` Connected sessions evenly over them, records each fleet with
 * `minServers: minServers(f)`, and starts a new control plane on the store — or, with
 * `restart: false`, leaves the plane without one (`forget`) for the caller's timed restart.
 */
export async function bulkWorld(
  plane: ScalePlane, shape: ScaleShape, seated: Seated, servers: (f: number) => number, minServers: (f: number) => number, log: (m: string) => void,
  opts: { restart?: boolean } = {},
): Promise<BulkTimes> {
  const fleets = Array.from({ length: shape.fleets }, (_, f) => plane.cp.world.fleets.get(fleetName(f)));
  await pump(plane, plane.cp.close());
  const t0 = performance.now();
  const now = plane.clock.now();
  const store = SqliteStore.open(plane.dbPath, { fsync: (_fd, done) => done(null), checkpoint: false, cacheMb: 256 });
  let rows = 0;
  let serverIds = 0;
  let sessionIds = 0;
  try {
    let batch: Mutation[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await store.commit(batch);
      rows += batch.length;
      batch = [];
    };
    for (let f = 0; f < shape.fleets; f++) {
      const fleet = fleets[f];
      if (!fleet) throw new Error(`${fleetName(f)} was not applied`);
      const count = servers(f);
      if (count < 1) throw new Error(`${fleet.name}: no server to seat players on`);
      const placed = Array.from({ length: count }, () => place(plane, fleet, orderedId('srv', serverIds++), now));
      for (let n = 0; n < shape.sessionsPerFleet; n++) {
        // A server's players in a row: its index entries are written together (a little faster).
        const server = placed[Math.floor((n * count) / shape.sessionsPerFleet)] as GameServer;
        const player = playerId(f, n);
        const session: Session = {
          id: orderedId('ses', sessionIds++), fleet: server.fleet, server: server.id, build: server.build, playerId: player,
          partyId: null, clientVersion: null, region: null, attributes: {},
          state: 'Connected', openedAt: now, connectedAt: now, closedAt: null, closeReason: null,
        };
        batch.push({ kind: 'putSession', session });
        if (server.state !== 'Active') Object.assign(server, { state: 'Active', emptySince: null });
        seatPlayer(plane, seated, server.id, player, session.id);
        if (batch.length >= CHUNK) await flush();
      }
      for (const server of placed) {
        batch.push({ kind: 'putServer', server });
        if (batch.length >= CHUNK) await flush();
      }
      batch.push({ kind: 'putFleet', fleet: { ...fleet, capacity: { ...fleet.capacity, minServers: minServers(f) }, updatedAt: now } });
      await flush();
      log(`  ${fleet.name}: ${count} servers placed, ${shape.sessionsPerFleet} sessions written`);
    }
  } finally {
    // The last connection to close checkpoints the WAL into the database and removes it.
    await store.close();
  }
  const writeMs = Math.round(performance.now() - t0);
  if (opts.restart === false) {
    plane.forget();
    log(`  ${rows} rows written in ${writeMs} ms`);
    return { writeMs, startMs: 0, rows };
  }
  log(`  ${rows} rows written in ${writeMs} ms; starting a control plane on them`);
  const t1 = performance.now();
  await pump(plane, plane.restart());
  return { writeMs, startMs: Math.round(performance.now() - t1), rows };
}

/** The `n`th id of the bulk writer: ids in the alphabet and length of `newId`'s, counting up. */
const orderedId = (prefix: string, n: number): string => `${prefix}_${n.toString(36).padStart(16, '0')}`;

/** One game server running on the host, and its record as launch, attach and ready leave it. */
function place(plane: ScalePlane, fleet: Fleet, id: string, now: number): GameServer {
  const build = plane.cp.world.builds.get(fleet.currentBuild);
  if (!build) throw new Error(`build ${fleet.currentBuild} is not registered`);
  const token = newToken();
  const env = { HANDOFF_SERVER_ID: id, HANDOFF_TOKEN: token, HANDOFF_FLEET: fleet.name, HANDOFF_BUILD: build.id, HANDOFF_BUILD_VERSION: build.version };
  const proc = plane.host.place({ serverId: id, executable: build.launch.executable, args: build.launch.args, env, address: ADDRESS, ports: {} });
  return {
    id, fleet: fleet.name, build: build.id, state: 'Ready', address: ADDRESS, ports: {}, capacity: build.sessionsPerServer, token,
    pid: proc.pid, identity: proc.identity, logPath: simulatedLogPath(id), createdAt: now, readyAt: now, lastHealthAt: now, emptySince: now,
    drainReason: null, drainDeadline: null, stopRequestedAt: null, stoppedAt: null, exitCode: null, exitSignal: null,
  };
}

function seatPlayer(plane: ScalePlane, seated: Seated, serverId: string, player: string, sessionId: string): void {
  const game = plane.gameServer(serverId);
  const disconnected = (how: { kind: string }): void => {
    seated.where.delete(player);
    seated.interrupted += 1;
    if (seated.examples.length < 5) seated.examples.push(`${player} on ${serverId}: ${JSON.stringify(how)}`);
  };
  if (!game?.seatConfirmed({ playerId: player, joinToken: null, disconnected }, sessionId)) throw new Error(`${serverId} does not accept ${player}`);
  seated.where.set(player, serverId);
}
