/** The simulated player's side of the public allocation API: one request, typed errors, backoff. */

export interface AllocationRequest {
  fleet: string;
  playerId: string;
  partyId?: string;
  clientVersion?: string;
  /** Same key on every retry of one allocation, so a lost response cannot allocate twice. */
  idempotencyKey?: string;
}

// The answer's shape is the public client's (handoff/client): the demo's players are its users.
export type { Allocation } from '../client/allocation-client.js';
import type { Allocation } from '../client/allocation-client.js';

/** A failed allocation. `code` is the API's error code, or NETWORK / TIMEOUT / BAD_RESPONSE. */
export class AllocationError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'AllocationError';
  }
}

export interface AllocateOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
}

/** `POST {apiUrl}/v1/allocations`. Resolves with the allocation or rejects with AllocationError. */
export async function requestAllocation(apiUrl: string, body: AllocationRequest, opts: AllocateOptions): Promise<Allocation> {
  let res: Response;
  try {
    res = await fetch(new URL('v1/allocations', withSlash(apiUrl)), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (e) {
    if (e instanceof Error && e.name === 'TimeoutError') {
      throw new AllocationError('TIMEOUT', 'the allocation request timed out', true, null);
    }
    // The control plane may be restarting; the idempotency key makes the retry safe.
    throw new AllocationError('NETWORK', networkMessage(e), true, null);
  }
  const text = await res.text();
  const json = parseJson(text);
  if (!res.ok) throw errorFromBody(res.status, json);
  const allocation = asAllocation(json);
  if (!allocation) throw new AllocationError('BAD_RESPONSE', `unexpected allocation body: ${text.slice(0, 200)}`, false, res.status);
  return allocation;
}

/**
 * Delay before retry number `attempt` (0-based): "full jitter" exponential backoff, so many
 * players refused at once (NO_CAPACITY while a fleet scales up) do not retry in lockstep.
 */
export function backoffDelay(attempt: number, random: () => number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** `ws://address:port/play?player=…&token=…`, bracketing IPv6 addresses. */
export function playUrl(allocation: Allocation, portName = 'game'): string | undefined {
  const port = allocation.server.ports[portName];
  if (port === undefined) return undefined;
  const host = allocation.server.address.includes(':') ? `[${allocation.server.address}]` : allocation.server.address;
  const query = new URLSearchParams({ player: allocation.playerId, token: allocation.joinToken });
  return `ws://${host}:${port}/play?${query.toString()}`;
}

function errorFromBody(status: number, json: unknown): AllocationError {
  const err = isRecord(json) && isRecord(json.error) ? json.error : undefined;
  if (err && typeof err.code === 'string') {
    const message = typeof err.message === 'string' ? err.message : err.code;
    return new AllocationError(err.code, message, err.retryable === true, status);
  }
  // No error body (a proxy in between?): server-side failures are worth a retry, the rest not.
  return new AllocationError(`HTTP_${status}`, `HTTP ${status} without an error body`, status >= 500, status);
}

function asAllocation(json: unknown): Allocation | undefined {
  const server = isRecord(json) ? json.server : undefined;
  const rawPorts = isRecord(server) ? server.ports : undefined;
  if (!isRecord(json) || !isRecord(server) || !isRecord(rawPorts)) return undefined;
  const ports: Record<string, number> = {};
  for (const [name, port] of Object.entries(rawPorts)) {
    if (typeof port === 'number') ports[name] = port;
  }
  const allocation = {
    sessionId: json.sessionId,
    fleet: json.fleet,
    playerId: json.playerId,
    reconnected: json.reconnected === true,
    server: { id: server.id, build: server.build, version: server.version, address: server.address, ports },
    joinToken: json.joinToken,
  };
  const { sessionId, fleet, playerId, joinToken } = allocation;
  const { id, build, version, address } = allocation.server;
  const strings = [sessionId, fleet, playerId, joinToken, id, build, version, address];
  return strings.every((v) => typeof v === 'string') ? (allocation as Allocation) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function networkMessage(e: unknown): string {
  const cause = e instanceof Error ? (e.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  return e instanceof Error ? e.message : String(e);
}
