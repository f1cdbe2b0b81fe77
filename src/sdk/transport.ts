import { setTimeout as delay } from 'node:timers/promises';
import { SDK_PROTOCOL_HEADER, SDK_PROTOCOL_VERSION } from './protocol.js';
import { SdkError } from './sdk-error.js';

/**
 * When a failed call is repeated:
 * - `idempotent`: on connection failures, timeouts and retryable error responses;
 * - `connection`: only on connection failures (the control plane restarting) and answers that
 *   changed nothing (NO_LEADER during a take-over). Used for calls
 *   that change state, where a timeout or an error response must reach the caller as is;
 * - `none`: never (the caller has its own cadence, like the health loop).
 */
export type RetryPolicy = 'idempotent' | 'connection' | 'none';

export interface TransportOptions {
  /** The SDK endpoint, or every replica's, comma-separated (HANDOFF_SDK_URL). */
  url: string;
  token: string;
  /** Total time spent retrying one call before its last error is thrown. */
  retryWindowMs: number;
  /** A single attempt without a response for this long fails with REQUEST_TIMEOUT. */
  requestTimeoutMs: number;
}

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1_000;

type Outcome = { ok: true; value: unknown } | { ok: false; error: SdkError };

/**
 * Answers after which nothing changed and another replica, or a new leader, may take the call:
 * a follower without a leader, a leader that lost its lease, one shutting down. (STORE_UNAVAILABLE
 * reaches the game as it is: the store of a live leader is down, which no other replica fixes.)
 */
const NothingChanged: readonly string[] = ['NO_LEADER', 'STORE_FENCED', 'SHUTTING_DOWN'];

/** Splits HANDOFF_SDK_URL: one URL, or every replica's, comma-separated. */
export function parseSdkUrls(raw: string): string[] {
  return raw.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter((u) => u !== '');
}

/**
 * The endpoints to use, from HANDOFF_SDK_URL and HANDOFF_SDK_URLS. The control plane lists every
 * replica in HANDOFF_SDK_URLS and keeps HANDOFF_SDK_URL to one URL unless the build declares it
 * reads a list (the 0.1.0 SDK does not); both start with the same endpoint. The list is used when
 * it does start with HANDOFF_SDK_URL's first endpoint: when something between the control plane
 * and the game (an agent, a wrapper script) rewrote HANDOFF_SDK_URL alone, the list it left
 * behind names endpoints this process may not reach, and HANDOFF_SDK_URL wins.
 */
export function chooseSdkUrls(url: string, urls: string | undefined): string {
  const list = parseSdkUrls(urls ?? '');
  return list.length > 0 && list[0] === parseSdkUrls(url)[0] ? list.join(',') : url;
}

/**
 * HTTP to the SDK endpoint: auth header, JSON, error bodies → SdkError, retries. Given several
 * replicas' endpoints, it stays with the one that answered last and moves to the next when that
 * one cannot be reached or has no leader, so calls ride through a change of leader.
 */
export class SdkTransport {
  private readonly bases: string[];
  private current = 0;
  /**
   * The protocol version the endpoint last answered with (its `Handoff-Sdk-Protocol` header), or
   * null before any answer. A call a newer protocol added is made only when this says the endpoint has it.
   */
  endpointVersion: number | null = null;

  constructor(private readonly opts: TransportOptions) {
    this.bases = parseSdkUrls(opts.url);
    if (this.bases.length === 0) throw new RangeError('Handoff SDK: no SDK endpoint URL');
  }

  /** The endpoint calls go to now. */
  get base(): string {
    return this.bases[this.current] as string;
  }

  /** After a failure that says this replica cannot take calls now: the next one gets the retry. */
  private failedOver(error: SdkError): void {
    const replicaTrouble = error.code === 'CONNECTION_FAILED' || error.code === 'REQUEST_TIMEOUT' || NothingChanged.includes(error.code) || error.status === 502 || error.status === 504;
    if (replicaTrouble) this.current = (this.current + 1) % this.bases.length;
  }

  /** One call; resolves to the parsed JSON body (or undefined for `expect: 'empty'`). */
  async call(method: string, path: string, body: unknown, policy: RetryPolicy, expect: 'json' | 'empty', windowMs = this.opts.retryWindowMs): Promise<unknown> {
    const deadline = Date.now() + windowMs;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(method, path, body, expect);
      if (outcome.ok) return outcome.value;
      this.failedOver(outcome.error);
      const wait = Math.min(FIRST_BACKOFF_MS * 2 ** attempt, MAX_BACKOFF_MS);
      if (!shouldRetry(outcome.error, policy) || Date.now() + wait > deadline) throw outcome.error;
      await delay(wait);
    }
  }

  /** Opens a streaming GET (no retries: the watch loop reconnects itself). */
  async stream(path: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    let res: Response;
    try {
      res = await fetch(this.base + path, { headers: this.headers({ accept: 'text/event-stream' }), signal });
    } catch (e) {
      const error = this.networkError(e);
      this.failedOver(error);
      throw error;
    }
    if (!res.ok) {
      const error = await SdkError.fromResponse(res);
      this.failedOver(error);
      throw error;
    }
    this.noteVersion(res.headers.get(SDK_PROTOCOL_HEADER));
    if (!res.body) throw new SdkError('UNEXPECTED_RESPONSE', 'The watch response has no body', { status: res.status, retryable: true });
    return res.body;
  }

  private async attempt(method: string, path: string, body: unknown, expect: 'json' | 'empty'): Promise<Outcome> {
    let text: string;
    try {
      const res = await fetch(this.base + path, {
        method,
        headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
      });
      if (res.ok || res.headers.has(SDK_PROTOCOL_HEADER)) this.noteVersion(res.headers.get(SDK_PROTOCOL_HEADER));
      if (!res.ok) return { ok: false, error: await SdkError.fromResponse(res) };
      text = await res.text();
    } catch (e) {
      return { ok: false, error: this.networkError(e) };
    }
    if (expect === 'empty') return { ok: true, value: undefined };
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      return { ok: false, error: new SdkError('UNEXPECTED_RESPONSE', `${method} ${path} returned a body that is not JSON`, { retryable: false }) };
    }
  }

  private noteVersion(header: string | null): void {
    // An endpoint from before versioning sends no header: it speaks version 1.
    const v = header === null ? 1 : Number(header);
    if (Number.isInteger(v) && v > 0) this.endpointVersion = v;
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return { authorization: `Bearer ${this.opts.token}`, [SDK_PROTOCOL_HEADER]: String(SDK_PROTOCOL_VERSION), ...extra };
  }

  private networkError(e: unknown): SdkError {
    if (e instanceof Error && e.name === 'TimeoutError') {
      return new SdkError('REQUEST_TIMEOUT', `The Handoff SDK endpoint at ${this.base} did not answer in time`, { retryable: true, cause: e });
    }
    // fetch reports "fetch failed" and hides the useful part (ECONNREFUSED, …) in `cause`.
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
    const reason = (cause as { code?: unknown }).code ?? (cause instanceof Error ? cause.message : String(cause));
    return new SdkError('CONNECTION_FAILED', `Cannot reach the Handoff SDK endpoint at ${this.base} (${String(reason)})`, {
      retryable: true,
      cause: e,
    });
  }
}

function shouldRetry(error: SdkError, policy: RetryPolicy): boolean {
  switch (policy) {
    case 'none':
      return false;
    case 'connection':
      // A refused connection or an answer that changed nothing: the call was not applied.
      return error.code === 'CONNECTION_FAILED' || NothingChanged.includes(error.code);
    case 'idempotent':
      return error.code === 'CONNECTION_FAILED' || error.code === 'REQUEST_TIMEOUT' || (error.status > 0 && error.retryable);
  }
}
