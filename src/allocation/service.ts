/**
 * The allocator: answers "where does this player play?". The decision is made and the slot
 * taken synchronously in memory (so concurrent requests can never overfill a server or take
 * the same slot), then made durable by the group-commit persister before the answer leaves.
 */
import { createHash } from 'node:crypto';
import type { AllocationRequest, AllocationResponse } from './model.js';
import { canonicalJson } from '../core/canonical-json.js';
import { HandoffError } from '../core/errors.js';
import { newSortableId } from '../core/ids.js';
import type { Fleet, GameServer } from '../fleet/model.js';
import { decideMigrationToken } from '../session/decide-migration-token.js';
import { JoinTokenKey } from '../session/join-token.js';
import { readMigrationToken, type MigrationClaims } from '../session/migration-token.js';
import type { MigrationTokenRecord, Session } from '../session/model.js';
import { occupancyChanged } from '../session/service.js';
import type { Ctx } from '../state/context.js';
import type { World } from '../state/world.js';
import type { Mutation } from '../store/port.js';
import type { CandidateView } from './candidates.js';
import { chooseServer } from './choose.js';
import { placementTiers } from './regions.js';
import { closedRetryAfterSeconds } from './routing.js';

export interface AllocationOptions {
  joinSecret: string;
  joinTokenTtlMs: number;
  idempotencyTtlMs: number;
}

export type AllocationOutcome = 'created' | 'reconnected' | 'replayed';

/**
 * `Retry-After` for NO_CAPACITY. The fleet planner starts servers as soon as the warm buffer is
 * used up and a game server is usually Ready within seconds, so a short wait is enough; asking
 * sooner only adds load while nothing can have changed.
 */
export const NO_CAPACITY_RETRY_AFTER_SECONDS = 2;

/** Hook for metrics; kept as an interface so the allocator does not depend on a metrics library. */
export interface AllocationObserver {
  /** `tried`: on a refusal, the builds that had no room (from the error's details), for per-build signals. */
  allocated(fleet: string, build: string | null, result: string, seconds: number, tried?: readonly string[]): void;
}

export class AllocationService {
  private readonly joinKey: JoinTokenKey;

  constructor(
    private readonly ctx: Ctx,
    private readonly opts: AllocationOptions,
    private readonly observer: AllocationObserver = { allocated: () => undefined },
  ) {
    this.joinKey = new JoinTokenKey(opts.joinSecret);
  }

  async allocate(req: AllocationRequest): Promise<{ response: AllocationResponse; outcome: AllocationOutcome }> {
    const started = performance.now();
    try {
      const out = await this.decideAndPersist(req);
      this.observer.allocated(req.fleet, out.response.server.build, out.outcome, (performance.now() - started) / 1000);
      return out;
    } catch (e) {
      const code = e instanceof HandoffError ? e.code : 'INTERNAL';
      const tried = e instanceof HandoffError && Array.isArray(e.details?.['builds']) ? (e.details['builds'] as string[]) : undefined;
      this.observer.allocated(req.fleet, null, code, (performance.now() - started) / 1000, tried);
      throw e;
    }
  }

  private async decideAndPersist(req: AllocationRequest): Promise<{ response: AllocationResponse; outcome: AllocationOutcome }> {
    const { world } = this.ctx;
    // Servers still being re-adopted after a cold start: this fleet's first, so no seat goes to a
    // server not re-attached or found gone (its capacity index is built after, on first use).
    if (this.ctx.fleetAdopted) await this.ctx.fleetAdopted(req.fleet);
    if (world.sessionsLoading && this.ctx.sessionLoad) {
      // Sessions still loading after a cold start: a reconnect must find the player's session
      // (a point read); a party or a migration places by its members' sessions, so waits for all.
      await this.ctx.sessionLoad.player(req.fleet, req.playerId);
      if (req.partyId !== null || req.migrationToken) await this.ctx.sessionLoad.loaded;
    }
    const fleet = world.fleets.get(req.fleet);
    if (!fleet) throw new HandoffError('FLEET_NOT_FOUND', `no fleet named ${req.fleet}`, { fleet: req.fleet });
    const now = this.ctx.clock.now();
    // Hashing costs a few microseconds per request: only pay it when a key makes it matter.
    const requestHash = req.idempotencyKey === null ? '' : hashRequest(req);

    if (req.idempotencyKey !== null) {
      const prior = world.idempotencyRecord(fleet.name, req.idempotencyKey);
      if (prior && prior.expiresAt > now) {
        if (prior.requestHash !== requestHash) throw new HandoffError('IDEMPOTENCY_KEY_REUSED', undefined, { key: req.idempotencyKey });
        // The original may still be committing: answer only once it is durable.
        await this.ctx.persister.persist([]);
        return { response: prior.response as AllocationResponse, outcome: 'replayed' };
      }
    }

    if (!sessionCapable(fleet, (b) => world.builds.get(b)?.sessionsPerServer ?? 0)) {
      throw new HandoffError('FLEET_NOT_ALLOCATABLE', `fleet ${fleet.name} runs a service without sessions; find its servers through GET /v1/fleets/${fleet.name}/endpoints`, { fleet: fleet.name });
    }
    const open = world.openSessionOf(fleet.name, req.playerId);
    if (open) {
      const server = world.servers.get(open.server);
      if (server) {
        const response = this.respond(open, server, now, true);
        await this.ctx.persister.persist(this.idempotency(req, requestHash, response, now));
        return { response, outcome: 'reconnected' };
      }
    }

    if (fleet.region !== null && req.region !== null && req.region !== fleet.region) {
      // Not NO_CAPACITY: no amount of waiting makes this fleet serve another region.
      throw new HandoffError('REGION_NOT_SERVED', `fleet ${fleet.name} runs in ${fleet.region}, not ${req.region}`, { fleet: fleet.name, region: req.region, fleetRegion: fleet.region });
    }
    const closed = fleet.routing.closed;
    if (closed) {
      throw new HandoffError('FLEET_IN_MAINTENANCE', `fleet ${fleet.name} is closed until ${new Date(closed.until).toISOString()}: ${closed.reason}`,
        { fleet: fleet.name, until: closed.until, reason: closed.reason, overrun: closed.until <= now }, { retryAfterSeconds: closedRetryAfterSeconds(closed.until, now) });
    }
    const migration = req.migrationToken ? this.migrationToken(fleet.name, req.playerId, req.migrationToken, now) : null;
    // A migrated player whose matchmaker forgot the party still rejoins it: the token knows it.
    const partyId = req.partyId ?? migration?.claims.partyId ?? null;
    const partyServers = partyId === null ? [] : world.partyServers(fleet.name, partyId);
    // Asked of the capacity index, never a walk of the fleet: the cost does not grow with it.
    const candidates = fleetCandidates(world, fleet.name, partyServers);
    const heldSeats = world.heldSeats(fleet.name, now);
    // This player's own token holds one of those seats: it is theirs to take.
    if (migration) heldSeats.set(migration.claims.build, (heldSeats.get(migration.claims.build) ?? 1) - 1);
    const decision = chooseServer({
      playerId: req.playerId,
      partyId,
      clientVersion: req.clientVersion,
      region: req.region,
      attributes: req.attributes,
      routing: fleet.routing,
      accepts: (b, v) => world.accepts(b, v),
      candidates,
      partyServers,
      partyPolicy: fleet.partyPolicy,
      forcedBuild: migration?.claims.build ?? null,
      forcedSeats: migration?.claims.seats ?? 1,
      heldSeats,
      tiers: placementTiers({ regions: req.regions ?? [], zones: req.zones ?? [], fallback: req.regionFallback ?? 'any' }),
      locationKnown: (tier) => world.locations.knows(tier),
    });
    if (!decision.ok) {
      const retry = decision.code === 'NO_CAPACITY' ? { retryAfterSeconds: NO_CAPACITY_RETRY_AFTER_SECONDS } : {};
      throw new HandoffError(decision.code, undefined, { fleet: fleet.name, ...decision.details }, retry);
    }

    const server = world.servers.get(decision.serverId) as GameServer;
    const session: Session = {
      id: newSortableId('ses', now), fleet: fleet.name, server: server.id, build: server.build, playerId: req.playerId,
      partyId, clientVersion: req.clientVersion, region: req.region, attributes: req.attributes,
      state: 'Reserved', openedAt: now, connectedAt: null, closedAt: null, closeReason: null,
      ...(migration ? { migratedFrom: migration.claims.tid } : {}),
    };
    world.addSession(session);
    const response = this.respond(session, server, now, false);
    const mutations: Mutation[] = [
      { kind: 'putSession', session },
      ...occupancyChanged(this.ctx, server.id, now),
      ...this.idempotency(req, requestHash, response, now),
    ];
    if (migration) {
      // Used in memory at once (a concurrent second use is refused) and durably in the same
      // commit as the session it placed: after kill -9 either both exist or neither.
      const used: MigrationTokenRecord = { ...migration.record, usedAt: now, usedBy: session.id };
      world.putMigrationToken(used);
      mutations.push({ kind: 'putMigrationToken', token: used });
    }
    try {
      await this.ctx.persister.persist(mutations);
    } catch (e) {
      // Not durable, so not given out: release the slot as if it had never been taken.
      world.closeSession(session.id, 'expired', now);
      if (migration) world.putMigrationToken(migration.record);
      if (req.idempotencyKey !== null) world.deleteIdempotency(fleet.name, req.idempotencyKey);
      occupancyChanged(this.ctx, server.id, now);
      throw e;
    }
    return { response, outcome: 'created' };
  }

  /** The verified claims and record of a presented migration token, or MIGRATION_TOKEN_INVALID. */
  private migrationToken(fleet: string, playerId: string, token: string, now: number): { claims: MigrationClaims; record: MigrationTokenRecord } {
    const read = readMigrationToken(this.opts.joinSecret, token);
    const record = read.ok ? this.ctx.world.migrationTokens.get(read.claims.tid) : undefined;
    const d = decideMigrationToken({ read, record, fleet, playerId, now });
    if (!d.ok) throw new HandoffError('MIGRATION_TOKEN_INVALID', undefined, { fleet, playerId, reason: d.reason });
    return d;
  }

  private respond(session: Session, server: GameServer, now: number, reconnected: boolean): AllocationResponse {
    const build = this.ctx.world.builds.get(server.build);
    return {
      sessionId: session.id,
      fleet: session.fleet,
      playerId: session.playerId,
      reconnected,
      server: { id: server.id, build: server.build, version: build?.version ?? '', address: server.address, ports: server.ports, ...this.locationOf(server.id) },
      joinToken: this.joinKey.sign({
        sessionId: session.id, serverId: server.id, playerId: session.playerId, exp: now + this.opts.joinTokenTtlMs,
      }),
    };
  }

  private locationOf(serverId: string): { region: string | null; zone: string | null } {
    const at = this.ctx.world.locations.of(serverId);
    return { region: at?.region ?? null, zone: at?.zone ?? null };
  }

  private idempotency(req: AllocationRequest, requestHash: string, response: AllocationResponse, now: number): Mutation[] {
    if (req.idempotencyKey === null) return [];
    const record = { key: req.idempotencyKey, fleet: req.fleet, requestHash, response, createdAt: now, expiresAt: now + this.opts.idempotencyTtlMs };
    this.ctx.world.putIdempotency(record);
    return [{ kind: 'putIdempotency', record }];
  }
}

/** Canonical, so the same request with its `attributes` in another order is the same request. */
function hashRequest(req: AllocationRequest): string {
  const { idempotencyKey: _k, migrationToken, ...rest } = req;
  // Without a token, hashed as before the field existed: a retry across an upgrade is the same request.
  return createHash('sha256').update(canonicalJson(migrationToken ? { ...rest, migrationToken } : rest)).digest('base64url');
}

/**
 * What placement may look at in a fleet: its Ready/Active servers with room (from the capacity
 * index) and, for party members, the servers hosting the party, Draining ones included.
 */
export function fleetCandidates(world: World, fleet: string, partyServers: readonly string[]): CandidateView {
  return {
    get: (id) => {
      if (!partyServers.includes(id)) return undefined;
      const c = world.candidate(id);
      const ok = c !== undefined && world.servers.get(id)?.fleet === fleet && (c.state === 'Ready' || c.state === 'Active' || c.state === 'Draining');
      return ok ? c : undefined;
    },
    fullest: (build, seats, tier) => world.capacity.fullest(fleet, build, seats, tier),
    freeSeats: (build) => world.capacity.freeSeats(fleet, build),
  };
}

/**
 * Whether any build the fleet routes new sessions to hosts sessions. A request/response service
 * (payments) declares `sessionsPerServer: 0`: it is found through its endpoints, never allocated.
 */
export function sessionCapable(fleet: Pick<Fleet, 'routing' | 'currentBuild'>, sessionsPerServer: (build: string) => number): boolean {
  const routed = [...fleet.routing.entries.filter((e) => e.weight > 0).map((e) => e.build), ...(fleet.routing.rules ?? []).map((r) => r.build)];
  return (routed.length > 0 ? routed : [fleet.currentBuild]).some((b) => sessionsPerServer(b) > 0);
}
