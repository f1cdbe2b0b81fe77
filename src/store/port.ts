import type { Build } from '../builds/model.js';
import type { NewEvent, StoredEvent } from '../core/events.js';
import type { Fleet, GameServer } from '../fleet/model.js';
import type { ReleaseRecord } from '../release/model.js';
import type { Rollout } from '../rollout/model.js';
import type { MigrationTokenRecord, Session } from '../session/model.js';
import type { Environment, EnvSnapshot } from '../environment/model.js';
import type { Delivery, Webhook } from '../notify/model.js';
import type { Host } from '../hosts/model.js';

/** A stored answer to an allocation request, so a retry with the same key gets the same answer. */
export interface IdempotencyRecord {
  key: string;
  fleet: string;
  /** Hash of the request body; the same key with another body is refused. */
  requestHash: string;
  response: unknown;
  createdAt: number;
  expiresAt: number;
}

/**
 * One change to durable state. The control plane groups the mutations of one operation — or
 * of every allocation in one event-loop tick — into a single `commit`, which is atomic.
 * `put*` are upserts keyed by id; documents are stored whole.
 */
export type Mutation =
  | { kind: 'putBuild'; build: Build }
  | { kind: 'putFleet'; fleet: Fleet }
  | { kind: 'putServer'; server: GameServer }
  | { kind: 'putSession'; session: Session }
  | { kind: 'putRollout'; rollout: Rollout }
  | { kind: 'putIdempotency'; record: IdempotencyRecord }
  /** Deletes records with expiresAt <= before: exactly those `load(before)` leaves out. */
  | { kind: 'expireIdempotency'; before: number }
  | { kind: 'putMeta'; key: string; value: string }
  /** Issues a migration token or marks it used (upsert by id). */
  | { kind: 'putMigrationToken'; token: MigrationTokenRecord }
  /** Deletes migration-token records with expiresAt <= before: exactly those `load(before)` leaves out. */
  | { kind: 'expireMigrationTokens'; before: number }
  | { kind: 'appendEvent'; event: NewEvent }
  /** Upserts a release plan and where its run stands, by name. */
  | { kind: 'putReleasePlan'; release: ReleaseRecord }
  /** Environments (upsert by name) and their numbered snapshots (upsert by environment and number). */
  | { kind: 'putEnvironment'; environment: Environment }
  | { kind: 'putEnvSnapshot'; snapshot: EnvSnapshot }
  /** Webhook subscriptions (upsert by name; delete leaves their delivery log) and deliveries (upsert by id). */
  | { kind: 'putWebhook'; webhook: Webhook }
  | { kind: 'deleteWebhook'; name: string }
  | { kind: 'putDelivery'; delivery: Delivery }
  /** The host registry (upsert by id): where game servers can run (src/hosts). */
  | { kind: 'putHost'; host: Host }
  /** Retention: deletes every event with seq <= throughSeq (always a prefix of the log). */
  | { kind: 'deleteEvents'; throughSeq: number }
  /** Retention: deletes those of these sessions that are Closed; an open one is never deleted. */
  | { kind: 'deleteClosedSessions'; ids: readonly string[] };

/** Everything the control plane needs in memory to resume after a restart. */
export interface Snapshot {
  builds: Build[];
  fleets: Fleet[];
  /** Servers not yet Stopped or Crashed. */
  servers: GameServer[];
  /** Sessions not yet Closed. */
  openSessions: Session[];
  /** Rollouts in a non-terminal phase. */
  activeRollouts: Rollout[];
  /** Records whose expiresAt is in the future at load time (`now` is passed in). */
  idempotency: IdempotencyRecord[];
  /** Migration tokens whose expiresAt is in the future at load time, used or not. */
  migrationTokens: MigrationTokenRecord[];
  meta: Record<string, string>;
}

export interface Page {
  limit: number;
}

export interface SessionQuery extends Page {
  fleet?: string;
  playerId?: string;
  server?: string;
  /** true: open only; false: closed only; undefined: both. */
  open?: boolean;
}

export interface ServerQuery extends Page {
  fleet?: string;
  /** Include Stopped/Crashed servers (history). */
  includeTerminal?: boolean;
}

export interface RolloutQuery extends Page {
  fleet?: string;
}

export interface ReleaseQuery extends Page {
  /** true: plans still running only; undefined: all. */
  active?: boolean;
}

export interface EnvSnapshotQuery extends Page {
  environment: string;
}

export interface DeliveryQuery extends Page {
  webhook?: string;
  /** Pending deliveries only, soonest `nextAttemptAt` first (the outbox's work list). */
  pending?: boolean;
}

export interface EventQuery extends Page {
  fleet?: string;
  /** Only events with seq greater than this. */
  afterSeq?: number;
}

export interface ClosedSessionQuery extends Page {
  /** Only sessions closed strictly before this time. */
  closedBefore?: number;
  /** Keyset paging: only sessions after this one in (closedAt, id) order. */
  after?: { closedAt: number; id: string };
}

/** What the retention service plans a pass from; a few indexed lookups, no table scan of the log. */
export interface RetentionStats {
  /** Lowest and highest event seq stored; null when the log is empty. */
  oldestEventSeq: number | null;
  newestEventSeq: number | null;
  closedSessions: number;
}

/**
 * The StateStore port. Adapters: `sqlite/` (embedded default) and, later, `postgres/`.
 * Every adapter passes `contract.ts`. A resolved `commit` is durable: it survives `kill -9`
 * of the control plane. Lists are newest first unless noted.
 */
/**
 * A store that can hand over the open sessions after the rest of the state (see
 * `state/session-load.ts`): a cold start reads servers, fleets and per-server open-session
 * counts first, answers allocations from those counts, and streams the sessions in behind.
 * Optional: a store without it is loaded whole by `load`.
 */
export interface LazySessionReads {
  /** `load(now)` without the open sessions (`openSessions` empty), plus each server's count of them, read consistently. */
  loadWithoutSessions(now: number): Promise<{ snapshot: Snapshot; openCounts: Map<string, number> }>;
  /** Open sessions after `after` in (openedAt, id) order, at most `limit`. */
  openSessionsAfter(after: { openedAt: number; id: string } | null, limit: number): Promise<Session[]>;
}

export function hasLazySessionReads(store: object): store is LazySessionReads {
  return 'loadWithoutSessions' in store && 'openSessionsAfter' in store;
}

export interface StateStore {
  readonly kind: 'sqlite' | 'postgres';
  commit(mutations: readonly Mutation[]): Promise<void>;
  load(now: number): Promise<Snapshot>;
  getBuild(id: string): Promise<Build | undefined>;
  getFleet(name: string): Promise<Fleet | undefined>;
  getServer(id: string): Promise<GameServer | undefined>;
  getSession(id: string): Promise<Session | undefined>;
  getRollout(id: string): Promise<Rollout | undefined>;
  listBuilds(q: Page): Promise<Build[]>;
  listServers(q: ServerQuery): Promise<GameServer[]>;
  listSessions(q: SessionQuery): Promise<Session[]>;
  listRollouts(q: RolloutQuery): Promise<Rollout[]>;
  /** Oldest first, so a reader can follow with `afterSeq`. */
  listEvents(q: EventQuery): Promise<StoredEvent[]>;
  getReleasePlan(name: string): Promise<ReleaseRecord | undefined>;
  /** Newest (by creation) first. */
  listReleasePlans(q: ReleaseQuery): Promise<ReleaseRecord[]>;
  /** By name. */
  listEnvironments(): Promise<Environment[]>;
  /** Newest (highest number) first. */
  listEnvSnapshots(q: EnvSnapshotQuery): Promise<EnvSnapshot[]>;
  getEnvSnapshot(environment: string, number: number): Promise<EnvSnapshot | undefined>;
  /** By name. */
  listWebhooks(): Promise<Webhook[]>;
  /** Newest first, or with `pending` the outbox order (soonest attempt first). */
  listDeliveries(q: DeliveryQuery): Promise<Delivery[]>;
  /** Closed sessions, oldest closed first (closedAt, then id): what retention removes first. */
  listClosedSessions(q: ClosedSessionQuery): Promise<Session[]>;
  retentionStats(): Promise<RetentionStats>;
  /** The host registry, by id. */
  listHosts(): Promise<Host[]>;
  close(): Promise<void>;
}
