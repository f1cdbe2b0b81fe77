/**
 * Control-plane options: what an operator may set, compiled once at start into resolved
 * options with defaults filled in and durations in milliseconds.
 */
import { parseCidr } from '../net/egress.js';
import path from 'node:path';

export interface ServerOptions {
  /** Where the SQLite database and game-server logs live. Default `./.handoff`. */
  dataDir?: string;
  /** API bind address. Default 127.0.0.1. */
  host?: string;
  /** API port. Default 7350; 0 picks a free one. */
  port?: number;
  /** SDK endpoint port on loopback. Default 7351; keep it stable so re-adopted servers reconnect. */
  sdkPort?: number;
  /** Ports handed to game servers. Default 7400-7999. */
  portRange?: { from: number; to: number };
  /** Address game servers bind to and players are sent to. Default 127.0.0.1. */
  publicAddress?: string;
  reconcileIntervalMs?: number;
  /** A reserved seat nobody connects to within this time is released. Default 60 s. */
  reservationTtlMs?: number;
  joinTokenTtlMs?: number;
  idempotencyTtlMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Working directory for relative build paths and smoke commands. Default process.cwd(). */
  cwd?: string;
  /** Extra names the API may be addressed by (`Host`), e.g. a load balancer's; loopback names and the bind address always are. */
  allowedHosts?: string[];
  /** Browser origins allowed to call the API cross-origin (exact `scheme://host[:port]`). Default none. */
  allowedOrigins?: string[];
  /** API requests in flight before the excess is answered 429 OVERLOADED. Default 256. */
  maxInFlight?: number;
  /** Open API connections; further ones are refused by the kernel backlog. Default 4096. */
  maxConnections?: number;
  /**
   * What runs game servers: `local` processes (default) or `simulated` ones, in-process, that
   * speak the SDK without sockets (see src/runtime/simulated): the fleet, releases and allocator
   * at any scale, without a game.
   */
  runtime?: RuntimeKind;
  /** Seeds the simulated runtime's randomness (boot times, crashes). Default 1. */
  simulationSeed?: number;
  /**
   * The state store: null (default) for SQLite in the data directory, or a PostgreSQL URL
   * (postgres://user@host:port/db) for replicas sharing one database; see docs/ha.md.
   */
  store?: string | null;
  /** The Prometheus that release analyses query when a query names no `address`. Default none. */
  prometheusUrl?: string;
  /**
   * Addresses (CIDR ranges or single IPs) webhooks and Prometheus queries may call even where
   * the egress guard refuses them (link-local and cloud metadata by default). See docs/security.md.
   */
  webhookAllow?: string[];
  /** More ranges the egress guard refuses (e.g. 10.0.0.0/8), beside link-local and cloud metadata. */
  webhookDeny?: string[];
  /** Retention (src/retention): events older than this many days are removed. Default 30. */
  retainEventsDays?: number;
  /** Retention: only the newest this many events are kept. Default 1,000,000. */
  retainEventsMax?: number;
  /** Retention: sessions closed more than this many days ago are removed. Default 30. */
  retainSessionsDays?: number;
  /** Retention: only the newest this many closed sessions are kept. Default 1,000,000. */
  retainSessionsMax?: number;
  /** Retention archives what it removes to JSON lines here first. Default none (null). */
  retainArchiveDir?: string | null;
  /** Time between retention passes with no backlog. Default 60,000 (tests shorten it). */
  retainIntervalMs?: number;
  /** A game server's live log file is rotated at this size. Default 10 MiB. */
  serverLogMaxBytes?: number;
  /** Rotated log files kept per game server, besides the live one. Default 3. */
  serverLogFiles?: number;
  /** Days a stopped server's log files are kept. Default 7. */
  serverLogRetainDays?: number;
  /** The id of this control plane's own host (its embedded agent) in `GET /v1/hosts`. Default `local`. */
  hostId?: string;
  /** Zone and region of this control plane's own host. Default `local`. */
  zone?: string;
  region?: string;
  /** An agent silent for longer than this is Unreachable (docs/hosts.md). Default 10,000. */
  hostHeartbeatTimeoutMs?: number;
  /**
   * An Unreachable host's sessions are closed as `host_lost` once it has been silent this long
   * (docs/hosts.md, "Host loss"); until then they stay open. Default 300,000 (5 minutes).
   */
  hostLostTimeoutMs?: number;
}

export const RuntimeKinds = ['local', 'simulated'] as const;
export type RuntimeKind = (typeof RuntimeKinds)[number];

export type ResolvedServerOptions = Required<ServerOptions>;

export function resolveServerOptions(o: ServerOptions = {}): ResolvedServerOptions {
  const cwd = o.cwd ?? process.cwd();
  const r: ResolvedServerOptions = {
    dataDir: path.resolve(cwd, o.dataDir ?? '.handoff'),
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 7350,
    sdkPort: o.sdkPort ?? 7351,
    portRange: o.portRange ?? { from: 7400, to: 7999 },
    publicAddress: o.publicAddress ?? '127.0.0.1',
    reconcileIntervalMs: o.reconcileIntervalMs ?? 500,
    reservationTtlMs: o.reservationTtlMs ?? 60_000,
    joinTokenTtlMs: o.joinTokenTtlMs ?? 10 * 60_000,
    // Long enough for any matchmaker retry; short enough that keys do not pile up in memory.
    idempotencyTtlMs: o.idempotencyTtlMs ?? 10 * 60_000,
    backoffBaseMs: o.backoffBaseMs ?? 1_000,
    backoffMaxMs: o.backoffMaxMs ?? 60_000,
    cwd,
    allowedHosts: o.allowedHosts ?? [],
    allowedOrigins: o.allowedOrigins ?? [],
    // About 25 ms of queueing at the measured durable allocation rate: accepted requests stay fast.
    maxInFlight: o.maxInFlight ?? 256,
    maxConnections: o.maxConnections ?? 4096,
    runtime: o.runtime ?? 'local',
    simulationSeed: o.simulationSeed ?? 1,
    store: o.store ?? null,
    prometheusUrl: o.prometheusUrl ?? '',
    webhookAllow: o.webhookAllow ?? [],
    webhookDeny: o.webhookDeny ?? [],
    retainEventsDays: o.retainEventsDays ?? 30,
    retainEventsMax: o.retainEventsMax ?? 1_000_000,
    retainSessionsDays: o.retainSessionsDays ?? 30,
    retainSessionsMax: o.retainSessionsMax ?? 1_000_000,
    retainArchiveDir: o.retainArchiveDir ? path.resolve(cwd, o.retainArchiveDir) : null,
    retainIntervalMs: o.retainIntervalMs ?? 60_000,
    serverLogMaxBytes: o.serverLogMaxBytes ?? 10 * 1024 * 1024,
    serverLogFiles: o.serverLogFiles ?? 3,
    serverLogRetainDays: o.serverLogRetainDays ?? 7,
    hostId: o.hostId ?? 'local',
    zone: o.zone ?? 'local',
    region: o.region ?? 'local',
    hostHeartbeatTimeoutMs: o.hostHeartbeatTimeoutMs ?? 10_000,
    hostLostTimeoutMs: o.hostLostTimeoutMs ?? 300_000,
  };
  if (r.store !== null && !/^postgres(ql)?:\/\/./i.test(r.store)) throw new RangeError(`store must be a postgres:// URL (omit it for SQLite in the data directory), got ${r.store}`);
  if (r.prometheusUrl && !/^https?:\/\/\S+$/i.test(r.prometheusUrl)) throw new RangeError(`prometheusUrl must be an http:// or https:// URL, got ${r.prometheusUrl}`);
  for (const [k, list] of Object.entries({ webhookAllow: r.webhookAllow, webhookDeny: r.webhookDeny })) {
    for (const c of list) {
      try {
        parseCidr(c);
      } catch (e) {
        throw new RangeError(`${k}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  if (!Number.isInteger(r.hostHeartbeatTimeoutMs) || r.hostHeartbeatTimeoutMs < 1) throw new RangeError(`hostHeartbeatTimeoutMs must be a positive integer, got ${r.hostHeartbeatTimeoutMs}`);
  if (!Number.isInteger(r.hostLostTimeoutMs) || r.hostLostTimeoutMs < r.hostHeartbeatTimeoutMs) {
    throw new RangeError(`hostLostTimeoutMs must be a whole number of ms no shorter than hostHeartbeatTimeoutMs (${r.hostHeartbeatTimeoutMs}), got ${r.hostLostTimeoutMs}`);
  }
  if (!RuntimeKinds.includes(r.runtime)) throw new RangeError(`runtime must be one of ${RuntimeKinds.join(', ')}, got ${String(r.runtime)}`);
  if (!Number.isSafeInteger(r.simulationSeed)) throw new RangeError(`simulationSeed must be an integer, got ${r.simulationSeed}`);
  for (const [k, v] of Object.entries({ maxInFlight: r.maxInFlight, maxConnections: r.maxConnections })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  for (const [k, v] of Object.entries({ retainEventsDays: r.retainEventsDays, retainSessionsDays: r.retainSessionsDays, serverLogRetainDays: r.serverLogRetainDays })) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${k} must be a positive number of days, got ${v}`);
  }
  for (const [k, v] of Object.entries({ retainIntervalMs: r.retainIntervalMs, retainEventsMax: r.retainEventsMax, retainSessionsMax: r.retainSessionsMax, serverLogMaxBytes: r.serverLogMaxBytes })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(r.serverLogFiles) || r.serverLogFiles < 0) throw new RangeError(`serverLogFiles must be a whole number, got ${r.serverLogFiles}`);
  for (const origin of r.allowedOrigins) {
    if (!/^https?:\/\/[^/\s]+$/i.test(origin)) throw new RangeError(`allowed origin must look like https://host[:port], got ${origin}`);
  }
  for (const [k, v] of Object.entries({ port: r.port, sdkPort: r.sdkPort })) {
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw new RangeError(`${k} must be a port number, got ${v}`);
  }
  for (const [k, v] of Object.entries({ reconcileIntervalMs: r.reconcileIntervalMs, reservationTtlMs: r.reservationTtlMs, joinTokenTtlMs: r.joinTokenTtlMs })) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${k} must be positive, got ${v}`);
  }
  return r;
}
