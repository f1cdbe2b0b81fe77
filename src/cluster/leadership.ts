/**
 * One replica's side of leadership: every `ttlMs / 3` it heartbeats and the leader renews its
 * lease; a follower looks at the lease every `pollMs` and takes it when `decideTakeover` allows
 * (expired, or its holder's session ended: the leader's process died). Taking it calls
 * `onAcquired` with the fence (the epoch) the store's commits must carry; losing it calls
 * `onLost`. Losing is also enforced without this loop: a leader that is paused (SIGSTOP, GC,
 * partition) past its lease wakes up with a stale epoch, and the database refuses its commits
 * (see store/postgres/lease.ts).
 *
 * All of it runs on one database session of its own, which the lease registers: it must live
 * exactly as long as this replica may lead, so it is not a pooled connection (the pool closes
 * idle ones) and it is ended only after the control plane has stopped (`release`).
 */
import type pg from 'pg';
import type { Fence } from '../store/postgres/lease.js';
import { acquireLease, heartbeat, listReplicas, pruneReplicas, readLease, renewLease, type ReplicaRow } from '../store/postgres/lease.js';
import type { PostgresStore } from '../store/postgres/pg-store.js';
import { ControlPlaneLease, type ClusterView } from './model.js';
import { DefaultReplicaRetentionMs, replicasToPrune } from './prune.js';
import { clusterView } from './view.js';

export interface LeadershipOptions {
  /** This replica's id: unique among the replicas, stable across its restarts. */
  id: string;
  /** The lease's time to live; a paused leader is replaced this long after its last renewal (a dead one at once, see takeover.ts). */
  ttlMs: number;
  /** Which lease; one per fleet later. Default `control-plane`. */
  lease?: string;
  /** How often a follower looks whether it may take the lease. Default 100 ms (at most `ttlMs / 3`). */
  pollMs?: number;
  onAcquired: (fence: Fence) => void;
  onLost: (fence: Fence) => void;
  log: (line: string) => void;
  /** The leader removes replicas silent for longer than this from the cluster table. Default 24 h; 0 keeps them. */
  retentionMs?: number;
  /**
   * Where the leader records what it pruned (an event), once it can: null while it has no
   * control plane to record with yet, and then nothing is pruned. Absent: replicas are never pruned.
   */
  recordPruned?: () => ((rows: ReplicaRow[], retentionMs: number) => Promise<void>) | null;
}

export class Leadership {
  private held: Fence | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The database session leadership runs on (see the top of this file). */
  private session: Promise<pg.Client> | null = null;
  private nextBeat = 0;
  private stopped = false;
  /** Where this replica's API is reached; set once it listens. */
  url = '';
  /** Where this replica's SDK endpoint is reached (game servers, forwarded SDK calls). */
  sdkUrl = '';
  /** The cluster as the last tick saw it: which replicas are alive, for HANDOFF_SDK_URL. */
  private seen: ClusterView | null = null;

  constructor(private readonly store: PostgresStore, private readonly o: LeadershipOptions) {}

  get lease(): string {
    return this.o.lease ?? ControlPlaneLease;
  }

  get id(): string {
    return this.o.id;
  }

  /** The fence held now, if this replica leads. */
  get fence(): Fence | null {
    return this.held;
  }

  /** A heartbeat and a renewal when due; for a follower, a look whether it may take the lease. */
  async tick(): Promise<void> {
    const client = await this.openSession();
    const now = Date.now();
    let read: Seen | null = null;
    // A leader ticks only every `beatMs`, and each of its ticks renews: a timer that fires a
    // little early must not put a renewal off by a whole period.
    if (this.held || now >= this.nextBeat) {
      if (this.url) await heartbeat(client, this.o.id, this.url, this.sdkUrl);
      read = await this.readWith(client);
      this.seen = read.view;
      this.nextBeat = now + this.beatMs;
    }
    if (this.held) {
      const fence = this.held;
      if (await renewLease(client, fence, this.o.ttlMs)) return read ? this.prune(client, read) : undefined;
      this.held = null;
      this.o.onLost(fence);
      return;
    }
    const lease = await acquireLease(client, this.lease, this.o.id, this.o.ttlMs);
    if (!lease) return;
    this.held = { name: lease.name, holder: lease.holder, epoch: lease.epoch };
    this.o.log(`leadership: took lease ${lease.name} (epoch ${lease.epoch}, ${lease.reason})`);
    this.o.onAcquired(this.held);
  }

  /** Ticks until `stop`: every third of the lease's time to live while leading, every `pollMs` while following. A failed tick is logged and retried. */
  start(): void {
    const loop = (): void => {
      if (this.stopped) return;
      this.tick().catch((e: unknown) => {
        // A tick cut off by `release` (its session ended on shutdown) is no news.
        if (!this.stopped) this.o.log(`leadership: ${e instanceof Error ? e.message : String(e)}`);
        this.dropSession();
      }).finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.held ? this.beatMs : this.pollMs);
      });
    };
    loop();
  }

  /** Stops ticking. The session stays open (and the lease with it) until `release`. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * Ends the session: followers take the lease at once. Only once nothing of this leadership can
   * still commit (the control plane closed); their commits would be refused anyway.
   */
  async release(): Promise<void> {
    this.stop();
    const session = this.session;
    this.session = null;
    await session?.then((c) => c.end()).catch(() => undefined);
  }

  private get beatMs(): number {
    return Math.max(50, Math.floor(this.o.ttlMs / 3));
  }

  private get pollMs(): number {
    return Math.max(50, Math.min(this.o.pollMs ?? 100, this.beatMs));
  }

  private async openSession(): Promise<pg.Client> {
    this.session ??= this.store.openSession(() => this.dropSession()).catch((e: unknown) => {
      this.session = null;
      throw e;
    });
    return this.session;
  }

  /** A broken session is replaced at the next tick (a leader's renewal registers the new one). */
  private dropSession(): void {
    const session = this.session;
    this.session = null;
    void session?.then((c) => c.end()).catch(() => undefined);
  }

  async view(): Promise<ClusterView> {
    return this.store.withClient((client) => this.viewWith(client));
  }

  /**
   * The SDK endpoints of the replicas alive at the last tick, this one's first: what a game
   * server started now is given as HANDOFF_SDK_URL, so it can fail over to any of them.
   */
  sdkUrls(): string[] {
    const others = (this.seen?.items ?? []).filter((r) => r.role !== 'gone' && r.id !== this.o.id && r.sdkUrl).map((r) => r.sdkUrl as string);
    return [...(this.sdkUrl ? [this.sdkUrl] : []), ...others.filter((u) => u !== this.sdkUrl)];
  }

  /**
   * The leader's housekeeping, after a renewal: replicas silent past the retention leave the
   * table (and `GET /v1/cluster`), each removal recorded as an event.
   */
  private async prune(client: pg.ClientBase, seen: Seen): Promise<void> {
    const record = this.o.recordPruned?.();
    if (!record) return;
    const retentionMs = this.o.retentionMs ?? DefaultReplicaRetentionMs;
    const due = replicasToPrune(seen.replicas, { self: this.o.id, holder: seen.holder }, seen.now, retentionMs);
    const removed = await pruneReplicas(client, due.map((r) => r.id), retentionMs);
    if (removed.length > 0) await record(removed, retentionMs);
  }

  private async viewWith(client: pg.ClientBase): Promise<ClusterView> {
    return (await this.readWith(client)).view;
  }

  private async readWith(client: pg.ClientBase): Promise<Seen> {
    const lease = await readLease(client, this.lease);
    const replicas = await listReplicas(client);
    const now = lease?.now ?? Math.max(0, ...replicas.map((r) => r.seenAt));
    return { view: clusterView(lease, replicas, this.o.id, now, this.o.ttlMs), replicas, holder: lease?.holder ?? null, now };
  }
}

/** One read of the cluster tables: the view, the rows behind it, and the database's clock. */
interface Seen {
  view: ClusterView;
  replicas: ReplicaRow[];
  holder: string | null;
  now: number;
}
