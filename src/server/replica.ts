/**
 * `handoff server --store postgres://…`: one replica among several sharing the database.
 * It starts as a follower (answering reads from the shared store, forwarding writes to the
 * leader; see cluster/follower.ts and follower-reads.ts) and
 * ticks the leadership lease; once it takes the lease it fences its store with the lease's
 * epoch and becomes the full control plane on the same port. A leader that loses the lease
 * stops as after a failed commit and exits with status 75: a supervisor restarts it as a
 * follower, and nothing it still had in flight can have been written (the epoch check refuses it
 * in the database).
 */
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { followerHandler, followerSdkHandler, followerUpgrade } from '../cluster/follower.js';
import type { ClusterView } from '../cluster/model.js';
import { SDK_PROTOCOL_HEADER, SDK_PROTOCOL_VERSION } from '../sdk/protocol.js';
import { SystemClock } from '../core/clock.js';
import { HandoffError } from '../core/errors.js';
import { Leadership } from '../cluster/leadership.js';
import { replicaPrunedEvent } from '../cluster/prune.js';
import type { Fence } from '../store/postgres/lease.js';
import { PostgresStore } from '../store/postgres/pg-store.js';
import { startControlPlane, serverUrl, type ControlPlane } from './compose.js';
import { FollowerReads } from './follower-reads.js';
import { resolveServerOptions, type ServerOptions } from './options.js';

export interface ReplicaOptions {
  /** Unique among the replicas, stable across restarts. Default `<hostname>:<data dir>`. */
  id?: string;
  /** The URL other replicas forward to. Default `http://<host>:<port>`. */
  advertiseUrl?: string;
  /** The leadership lease's time to live. Default 10 s. */
  leaseTtlMs?: number;
  /** How old the state a follower answers reads from may be. Default 1 s. */
  readMaxAgeMs?: number;
  /** The leader removes replicas silent for longer than this from the cluster table. Default 24 h; 0 keeps them. */
  retentionMs?: number;
}

export interface Replica {
  readonly id: string;
  readonly url: string;
  /** The control plane, once this replica leads. */
  controlPlane(): ControlPlane | null;
  close(opts?: { stopServers?: boolean }): Promise<void>;
}

export async function startReplica(
  input: ServerOptions,
  replica: ReplicaOptions,
  hooks: {
    log: (line: string) => void;
    /** After the lease is lost and the control plane has stopped; default: exit 75. */
    onFatal?: (e: unknown) => void;
    onLeading?: (cp: ControlPlane, fence: Fence) => void;
  },
): Promise<Replica> {
  const options = resolveServerOptions(input);
  if (options.store === null) throw new RangeError('replicas need a PostgreSQL store (--store postgres://…)');
  const id = replica.id ?? `${hostname()}:${options.dataDir}`;
  const store = await PostgresStore.open(options.store, { log: hooks.log });
  let cp: ControlPlane | null = null;
  let follower: Server | null = null;
  let followerSdk: Server | null = null;
  let promoting: Promise<void> | null = null;

  const leadership = new Leadership(store, {
    id, ttlMs: replica.leaseTtlMs ?? 10_000, log: hooks.log,
    ...(replica.retentionMs !== undefined ? { retentionMs: replica.retentionMs } : {}),
    // Recorded in the event log through the leader's own (fenced) commits, once it has them.
    recordPruned: () => {
      const ctx = cp?.api.ctx;
      if (!ctx) return null;
      return async (rows, retentionMs) => {
        const now = ctx.clock.now();
        for (const r of rows) hooks.log(`replica ${id}: removed replica ${r.id} from the cluster (silent since ${new Date(r.seenAt).toISOString()})`);
        await ctx.persister.persist(rows.map((r) => ({ kind: 'appendEvent' as const, event: replicaPrunedEvent(r, retentionMs, now) })));
      };
    },
    onAcquired: (fence) => {
      // Before anything else can commit: every write of this leadership carries the epoch.
      store.fenceWith(fence);
      promoting = promote(fence).catch((e: unknown) => {
        hooks.log(`replica ${id}: could not become the control plane: ${e instanceof Error ? e.message : String(e)}`);
        (hooks.onFatal ?? (() => process.exit(75)))(e);
      });
    },
    onLost: (fence) => {
      hooks.log(`replica ${id}: lost the leadership lease (epoch ${fence.epoch}); stopping`);
      leadership.stop();
      // Requests already in flight still run to their commits, and the database refuses those
      // (stale epoch): they answer 503 STORE_FENCED rather than being cut off.
      const lost = new HandoffError('STORE_FENCED', `replica ${id} lost the leadership lease (epoch ${fence.epoch})`, { epoch: fence.epoch });
      if (cp) cp.failStop(lost);
      else (hooks.onFatal ?? (() => process.exit(75)))(lost);
    },
  });

  const view = { view: () => leadership.view() };
  const reads = new FollowerReads(store, options, new SystemClock(), view, replica.readMaxAgeMs ?? 1_000, hooks.log);
  const api = createServer(followerHandler({ self: id, view: view.view, reads: () => reads.current() }));
  // Agents' WebSockets (docs/hosts.md) go to the leader only: refused here with the leader's URL.
  api.on('upgrade', followerUpgrade({ self: id, view: view.view }));
  follower = await listen(api, options.port, options.host);
  // Every game-server call on a follower needs the leader's SDK address: a view a quarter of a
  // second old is fresh enough (a take-over takes longer) and spares the database.
  const sdkView = recentView(() => leadership.view(), 250);
  followerSdk = await listen(
    createServer(followerSdkHandler({ self: id, view: sdkView, headers: { [SDK_PROTOCOL_HEADER]: String(SDK_PROTOCOL_VERSION) } })),
    options.sdkPort, '127.0.0.1',
  ).catch((e: unknown) => {
    follower?.close();
    throw e;
  });
  const port = Number(new URL(serverUrl(follower)).port);
  const sdkPort = Number(new URL(serverUrl(followerSdk)).port);
  const url = replica.advertiseUrl ?? serverUrl(follower);
  leadership.url = url;
  // The SDK endpoint listens on loopback (compose.ts): game servers run on this replica's host.
  leadership.sdkUrl = `http://127.0.0.1:${sdkPort}`;

  async function promote(fence: Fence): Promise<void> {
    const started = Date.now();
    const listening = [follower, followerSdk];
    follower = followerSdk = null;
    await Promise.all(listening.map((l) => l && new Promise<void>((resolve) => { l.close(() => resolve()); l.closeAllConnections(); })));
    cp = await startControlPlane({ ...input, port, sdkPort }, {
      store, cluster: { view: () => leadership.view() }, sdkUrls: () => leadership.sdkUrls(),
      ...(hooks.onFatal ? { onFatal: hooks.onFatal } : {}),
    });
    hooks.log(`replica ${id}: leading (epoch ${fence.epoch}), answering ${Date.now() - started} ms after taking the lease`);
    hooks.onLeading?.(cp, fence);
  }

  leadership.start();
  return {
    id, url,
    controlPlane: () => cp,
    async close(opts = {}) {
      leadership.stop();
      await promoting;
      for (const l of [follower, followerSdk]) if (l) await new Promise<void>((resolve) => { l.close(() => resolve()); l.closeAllConnections(); });
      if (cp) await cp.close(opts);
      else await store.close();
      // Last: ending the session hands the lease over at once (a follower sees its holder gone).
      await leadership.release();
    },
  };
}

/** Listens like the control plane's own server (compose.ts `listen`). */
async function listen(server: Server, port: number, host: string): Promise<Server> {
  // Longer than clients' idle pools, so a client never reuses a connection the server is closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** `load`, answered from a copy at most `maxAgeMs` old; concurrent callers share one load. */
function recentView(load: () => Promise<ClusterView>, maxAgeMs: number): () => Promise<ClusterView> {
  let last: { at: number; view: Promise<ClusterView> } | null = null;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > maxAgeMs) {
      const view = load();
      last = { at: now, view };
      view.catch(() => { if (last?.view === view) last = null; });
    }
    return last.view;
  };
}
