/**
 * `handoff/client`: what a matchmaker needs to place players — `allocate` — riding through a
 * control-plane failover. Every allocation carries an idempotency key (the caller's, or a fresh
 * UUID), sent as the `Idempotency-Key` header the API already honours, so a retry after a
 * replica's death — even one whose first attempt the old leader had committed — returns the
 * same session instead of a second one.
 */
import { randomUUID } from 'node:crypto';
import { parseUrlList } from './urls.js';
import { FailoverTransport, type RetryNotice } from './transport.js';
import type { RetryPolicy } from './retry.js';

/** The body of `POST /v1/allocations` (docs/api.md); omitted fields take the server's defaults. */
export interface AllocationRequest {
  fleet: string;
  playerId: string;
  partyId?: string;
  clientVersion?: string;
  /** The player's region, which cohort rules and a fleet's `region` label test. */
  region?: string;
  /** Preferred regions, most preferred first: tried in order, then anywhere unless `regionFallback` is `none`. */
  regions?: string[];
  /** Preferred zones, most preferred first: tried before `regions`. */
  zones?: string[];
  /** `any` (the server's default): after the preferred zones and regions, anywhere; `none`: only those. */
  regionFallback?: 'any' | 'none';
  attributes?: Record<string, string>;
  migrationToken?: string;
}

/** Where the player connects, as `POST /v1/allocations` answers. */
export interface Allocation {
  sessionId: string;
  fleet: string;
  playerId: string;
  /** True when the player already had this open session (reconnect, or a retried allocation). */
  reconnected: boolean;
  /**
   * `region`/`zone`: where the server runs (its host's). Absent from control planes before
   * regions existed, and from a replay of an answer they gave; null when the host is unknown.
   */
  server: { id: string; build: string; version: string; address: string; ports: Record<string, number>; region?: string | null; zone?: string | null };
  joinToken: string;
}

export interface HandoffClientOptions {
  /**
   * The control plane's replicas: an array, or a comma-separated string. Default: the
   * `HANDOFF_URL` environment variable, else http://127.0.0.1:7350.
   */
  urls?: string | readonly string[];
  /** Per-attempt limit. Default 10 s. */
  timeoutMs?: number;
  /**
   * How long one call may keep retrying, and which further error codes to retry (default:
   * 30 s; codes that say nothing changed — NO_LEADER, STORE_FENCED, STORE_UNAVAILABLE,
   * SHUTTING_DOWN, OVERLOADED — are always retried).
   */
  retry?: Partial<RetryPolicy>;
  /** Headers for every request, e.g. `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
  /** Called before each retry: which replica failed, how, and the wait. */
  onRetry?: (notice: RetryNotice) => void;
}

export const DefaultControlPlaneUrl = 'http://127.0.0.1:7350';

export class HandoffClient {
  private readonly transport: FailoverTransport;

  constructor(options: HandoffClientOptions = {}) {
    const urls = parseUrlList(options.urls ?? (process.env.HANDOFF_URL || DefaultControlPlaneUrl));
    this.transport = new FailoverTransport(urls, {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      retry: { budgetMs: 30_000, ...options.retry },
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
  }

  /** The replicas this client rotates through. */
  get urls(): readonly string[] {
    return this.transport.urls;
  }

  /**
   * Places a player and says where to connect. Retried through failovers with one idempotency
   * key; reusing a key for a different request fails with IDEMPOTENCY_KEY_REUSED. Throws
   * `ApiError` (with the API's `code`, e.g. NO_CAPACITY, FLEET_NOT_FOUND) or `ConnectionError`.
   */
  async allocate(request: AllocationRequest, options: { idempotencyKey?: string } = {}): Promise<Allocation> {
    const key = options.idempotencyKey ?? randomUUID();
    const res = await this.transport.request<Allocation>({ method: 'POST', path: '/v1/allocations', body: request, headers: { 'idempotency-key': key } });
    return res.data;
  }

  /** A session as the control plane knows it (`GET /v1/sessions/{id}`). */
  async session(id: string): Promise<Record<string, unknown>> {
    return (await this.transport.request<Record<string, unknown>>({ method: 'GET', path: `/v1/sessions/${encodeURIComponent(id)}` })).data;
  }

  /** The replicas, the leader and its epoch (`GET /v1/cluster`). */
  async cluster(): Promise<Record<string, unknown>> {
    return (await this.transport.request<Record<string, unknown>>({ method: 'GET', path: '/v1/cluster' })).data;
  }
}
