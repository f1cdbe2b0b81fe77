/**
 * Bulk seeding for the scale bench: the sessions the real doors would have opened (an
 * allocation, then the player joining, `sessionStarted`), written straight into the store in
 * large transactions while the control plane is down, then read back by a new control plane.
 * Opening a million sessions one allocation and one join at a time ran at ~1,000/s on this
 * machine; written in bulk they take seconds.
 *
 * The rows are what the services write: each session is the `Session` an allocation creates
 * (`AllocationService.allocate`, with the request schema's defaults) in the `Connected` form
 * `SessionService.started` commits, through the store's own `putSession`; each server that got
 * players is put `Active` with `emptySince: null`, as `occupancyChanged` does. Every player is
 * then seated on the simulated game server hosting it (`seatConfirmed`), so the server's roster
 * report after the restart agrees with the store.
 */
import { newId } from '../../src/core/ids.js';
import type { GameServer } from '../../src/fleet/model.js';
import type { Session } from '../../src/session/model.js';
import type { Mutation } from '../../src/store/port.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ScalePlane } from './plane.js';
import { fleetName, playerId, pump, type ScaleShape, type Seated } from './seed.js';

/** Rows per transaction: large enough that commit overhead vanishes, small enough to bound the WAL step. */
const CHUNK = 50_000;

/**
 * Closes the control plane, writes `shape.sessionsPerFleet` Connected sessions per fleet spread
 * evenly over its Ready servers, seats every player, and starts a new control plane on the store.
 * Returns the new control plane's start time (ms): the first restart on the seeded state.
 */
export async function bulkSessions(plane: ScalePlane, shape: ScaleShape, seated: Seated, log: (m: string) => void): Promise<number> {
  const byFleet = Array.from({ length: shape.fleets }, (_, f) =>
    plane.cp.world.fleetServers(fleetName(f)).filter((s: GameServer) => s.state === 'Ready' || s.state === 'Active'));
  await pump(plane, plane.cp.close());
  const now = plane.clock.now();
  const store = SqliteStore.open(plane.dbPath, { fsync: (_fd, done) => done(null), checkpoint: false });
  let written = 0;
  try {
    let batch: Mutation[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await store.commit(batch);
      written += batch.length;
      batch = [];
    };
    for (let f = 0; f < shape.fleets; f++) {
      const servers = byFleet[f] ?? [];
      if (servers.length === 0) throw new Error(`${fleetName(f)} has no Ready server to seat players on`);
      const touched = new Set<GameServer>();
      for (let n = 0; n < shape.sessionsPerFleet; n++) {
        const server = servers[n % servers.length] as GameServer;
        const player = playerId(f, n);
        const session: Session = {
          id: newId('ses'), fleet: server.fleet, server: server.id, build: server.build, playerId: player,
          partyId: null, clientVersion: null, region: null, attributes: {},
          state: 'Connected', openedAt: now, connectedAt: now, closedAt: null, closeReason: null,
        };
        batch.push({ kind: 'putSession', session });
        touched.add(server);
        seatPlayer(plane, seated, server.id, player, session.id);
        if (batch.length >= CHUNK) await flush();
      }
      for (const s of touched) {
        if (s.state !== 'Active' || s.emptySince !== null) batch.push({ kind: 'putServer', server: { ...s, state: 'Active', emptySince: null } });
        if (batch.length >= CHUNK) await flush();
      }
      await flush();
      log(`  ${fleetName(f)}: ${shape.sessionsPerFleet} sessions written`);
    }
  } finally {
    // The last connection to close checkpoints the WAL into the database and removes it.
    await store.close();
  }
  log(`  ${written} rows written; starting a control plane on them`);
  const t0 = performance.now();
  await pump(plane, plane.restart());
  return Math.round(performance.now() - t0);
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
