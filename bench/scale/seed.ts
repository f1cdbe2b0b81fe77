/**
 * Builds the scale bench's state through the real doors: `POST /v1/apply` for the builds and
 * fleets, reconcile passes that start every server (which boot on the simulated host and report
 * Ready over the in-process SDK link), then one allocation per player through the allocator,
 * each followed by the player joining the game server it was sent to (`sessionStarted`), so every
 * session is open, on a server that hosts it.
 */
import { AllocationRequestSchema, ApplyRequestSchema, MaxFleetServers } from '../../src/api/schemas.js';
import type { ScalePlane } from './plane.js';

export interface ScaleShape {
  fleets: number;
  serversPerFleet: number;
  sessionsPerFleet: number;
  sessionsPerServer: number;
}

export const fleetName = (i: number): string => `scale-${i}`;
/** Zero-padded, so a fleet's players in order are in the store's index order too (bulk.ts). */
export const playerId = (fleet: number, n: number): string => `f${fleet}p${String(n).padStart(8, '0')}`;

/**
 * Applies both builds and the fleets (those in `only`, every one by default), fleet `i` asking
 * for `minServers(i)` servers (all of its share by default).
 */
export async function applyFleets(plane: ScalePlane, shape: ScaleShape, minServers: (i: number) => number = () => shape.serversPerFleet, only?: number[]): Promise<void> {
  const build = (id: string, version: string) => ({ id, version, sessionsPerServer: shape.sessionsPerServer, ports: [], launch: { executable: 'game-server', args: [] } });
  const which = only ?? Array.from({ length: shape.fleets }, (_, i) => i);
  await plane.cp.api.fleets.apply(ApplyRequestSchema.parse({
    builds: [build('scale-v1', '1.0.0'), build('scale-v2', '2.0.0')],
    fleets: which.map((i) => ({
      name: fleetName(i), build: 'scale-v1', partyPolicy: 'together',
      capacity: { minServers: minServers(i), maxServers: Math.min(MaxFleetServers, shape.serversPerFleet * 2), bufferServers: 0, idleTimeoutSeconds: 3_600 },
      health: { timeoutSeconds: 600, startTimeoutSeconds: 600, stopGraceSeconds: 30 },
    })),
  }));
}

/** Steps the fake clock and runs passes until `count` servers are Ready (of `fleet`, or of every fleet). */
export async function bootServers(plane: ScalePlane, count: number, log: (m: string) => void, fleet?: string): Promise<void> {
  for (let round = 0; ; round++) {
    await plane.cp.reconciler.passNow();
    plane.clock.advance(1_000);
    await settle();
    let ready = 0;
    const servers = fleet === undefined ? plane.cp.world.servers.values() : plane.cp.world.fleetServers(fleet);
    for (const s of servers) if (s.state === 'Ready' || s.state === 'Active') ready++;
    if (round % 5 === 0) log(`  round ${round}: ${ready}/${count} Ready`);
    if (ready >= count) return;
    if (round > 600) throw new Error(`only ${ready} of ${count} servers became Ready`);
  }
}

/** What happened to the seated players: a player the server dropped (not one who left) was interrupted. */
export interface Seated {
  /** Player → the server hosting them. */
  where: Map<string, string>;
  interrupted: number;
  /** The first few interruptions, for the report. */
  examples: string[];
}

/** Allocates and joins `perFleet` players on every fleet, `batch` at a time (their commits share batches). */
export async function openSessions(plane: ScalePlane, shape: ScaleShape, seated: Seated, log: (m: string) => void, batch = 2_000): Promise<void> {
  for (let f = 0; f < shape.fleets; f++) {
    const fleet = fleetName(f);
    for (let from = 0; from < shape.sessionsPerFleet; from += batch) {
      const jobs: Promise<void>[] = [];
      for (let n = from; n < Math.min(shape.sessionsPerFleet, from + batch); n++) jobs.push(seat(plane, fleet, playerId(f, n), seated));
      await Promise.all(jobs);
    }
    log(`  ${fleet}: ${shape.sessionsPerFleet} sessions open`);
  }
}

export async function seat(plane: ScalePlane, fleet: string, player: string, seated: Seated): Promise<void> {
  const { response } = await plane.cp.api.allocations.allocate(AllocationRequestSchema.parse({ fleet, playerId: player }));
  const serverId = response.server.id;
  const game = plane.gameServer(serverId);
  const disconnected = (how: { kind: string }): void => {
    seated.where.delete(player);
    seated.interrupted += 1;
    if (seated.examples.length < 5) seated.examples.push(`${player} on ${serverId}: ${JSON.stringify(how)}`);
  };
  const joined = game ? await game.join({ playerId: player, joinToken: response.joinToken, disconnected }) : { ok: false as const, code: 'SERVER_GONE' };
  if (!joined.ok) throw new Error(`${player} could not join ${serverId}: ${joined.code}`);
  seated.where.set(player, serverId);
}

/** Every seated player of `fleet` leaves at a uniformly random moment within `withinMs` (simulated). */
export function leaveOverTime(plane: ScalePlane, seated: Seated, prefix: string, withinMs: number, random: () => number): number {
  let n = 0;
  for (const [player, serverId] of seated.where) {
    if (!player.startsWith(prefix)) continue;
    n++;
    plane.clock.setTimeout(() => {
      if (seated.where.get(player) !== serverId) return;
      seated.where.delete(player);
      plane.gameServer(serverId)?.leave(player);
    }, Math.floor(random() * withinMs));
  }
  return n;
}

export function settle(turns = 4): Promise<void> {
  let p = Promise.resolve();
  for (let i = 0; i < turns; i++) p = p.then(() => new Promise((r) => setImmediate(r)));
  return p;
}

/**
 * Waits for `work` while simulated time passes in `stepMs` steps and real time in 1 ms ones:
 * closing and starting a control plane wait both on fake-clock timers and on real sockets. A
 * timed restart passes 1 ms a step: simulated time then runs no faster than real time, so the
 * simulated servers' pings and reports (same process) cost what they would in service.
 */
export async function pump<T>(plane: ScalePlane, work: Promise<T>, stepMs = 10): Promise<T> {
  let done = false;
  const settled = work.finally(() => (done = true));
  while (!done) {
    plane.clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 1));
  }
  return settled;
}
