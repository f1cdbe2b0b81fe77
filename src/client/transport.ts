/**
 * One request to "the control plane", whichever replica answers: the I/O half of the client
 * core shared by the CLI and `handoff/client`. It sends to the replica that answered last,
 * moves to the next URL when that one fails, and retries as `decideRetry` says — connection
 * failures and answers that changed nothing (NO_LEADER during a take-over, 429) — with back-off
 * honouring Retry-After. Repeating a write is only safe when it carries an idempotency key, so a
 * connection that breaks mid-request is retried only for idempotent requests.
 */
import { ApiError, ConnectionError, isRecord, tryParseJson } from './errors.js';
import { decideRetry, parseRetryAfter, type AttemptFailure, type RetryPolicy } from './retry.js';

export interface ApiResponse<T> {
  status: number;
  data: T;
  /** The body exactly as received. */
  text: string;
  /** The replica that answered. */
  url: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestSpec {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** Default: true for GET, HEAD, PUT and DELETE and for requests with an Idempotency-Key header. */
  idempotent?: boolean;
}

/** What a retry looked like, for logs and for tests counting them. */
export interface RetryNotice {
  url: string;
  failure: AttemptFailure;
  attempts: number;
  delayMs: number;
}

export interface TransportOptions {
  /** Per-attempt limit: a hung replica should not hang the caller. Default 10 s. */
  timeoutMs?: number;
  /** Default: retry for 15 s, back-off from 100 ms to 2 s. */
  retry?: Partial<RetryPolicy>;
  /** Sent with every request (e.g. authorization). */
  headers?: Record<string, string>;
  onRetry?: (notice: RetryNotice) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

export const DefaultRetryPolicy: RetryPolicy = { budgetMs: 15_000, baseDelayMs: 100, maxDelayMs: 2_000, extraCodes: [] };

const IdempotentMethods = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'];
/** Connection failures that happen before anything is sent. */
const Unreached = ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL'];

export class FailoverTransport {
  readonly urls: readonly string[];
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly opts: TransportOptions;
  private current = 0;

  constructor(urls: readonly string[], options: TransportOptions = {}) {
    if (urls.length === 0) throw new RangeError('no control-plane URL given');
    this.urls = urls.map((u) => u.replace(/\/+$/, ''));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.policy = { ...DefaultRetryPolicy, ...options.retry };
    this.opts = options;
  }

  /** The replica the next request goes to first: the one that answered last. */
  get url(): string {
    return this.urls[this.current] as string;
  }

  /** Sends the request, retrying as the policy allows; throws `ApiError` or `ConnectionError`. */
  async request<T>(spec: RequestSpec): Promise<ApiResponse<T>> {
    const now = this.opts.now ?? Date.now;
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const headers = { ...this.opts.headers, ...spec.headers };
    const idempotent = spec.idempotent ?? (IdempotentMethods.includes(spec.method.toUpperCase()) || Object.keys(headers).some((k) => k.toLowerCase() === 'idempotency-key'));
    const started = now();
    for (let attempts = 1; ; attempts++) {
      const url = this.url;
      const outcome = await this.attempt<T>(url, spec, headers);
      if (outcome.ok) return outcome.response;
      const decision = decideRetry({
        failure: outcome.failure, idempotent, attempts, urls: this.urls.length,
        elapsedMs: now() - started, policy: this.policy, random: (this.opts.random ?? Math.random)(),
      });
      if (!decision.retry) throw outcome.error;
      this.current = (this.current + 1) % this.urls.length;
      this.opts.onRetry?.({ url, failure: outcome.failure, attempts, delayMs: decision.delayMs });
      if (decision.delayMs > 0) await sleep(decision.delayMs);
    }
  }

  private async attempt<T>(
    base: string,
    spec: RequestSpec,
    headers: Record<string, string>,
  ): Promise<{ ok: true; response: ApiResponse<T> } | { ok: false; failure: AttemptFailure; error: Error }> {
    const target = base + spec.path + queryString(spec.query ?? {});
    let response: Response;
    let text: string;
    try {
      response = await fetch(target, {
        method: spec.method,
        headers: { accept: 'application/json', ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (e) {
      const failure = classify(e, this.timeoutMs);
      return { ok: false, failure, error: new ConnectionError(this.urls.length > 1 ? this.urls.join(', ') : base, failure.kind === 'answered' ? '' : failure.detail) };
    }
    if (!response.ok) {
      const error = ApiError.fromResponse(response.status, response.statusText, text);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), (this.opts.now ?? Date.now)());
      return { ok: false, failure: { kind: 'answered', status: response.status, code: error.code, retryAfterMs }, error };
    }
    const data = text === '' ? null : tryParseJson(text);
    if (data === undefined) {
      const error = new ApiError(response.status, 'INVALID_RESPONSE', `${spec.method} ${spec.path} answered with a body that is not JSON`, text);
      return { ok: false, failure: { kind: 'answered', status: response.status, code: error.code, retryAfterMs: null }, error };
    }
    return { ok: true, response: { status: response.status, data: data as T, text, url: base } };
  }
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
function classify(e: unknown, timeoutMs: number): AttemptFailure {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return { kind: 'broken', detail: `no answer within ${timeoutMs / 1000}s` };
  }
  const cause = e instanceof Error ? e.cause : undefined;
  const code = isRecord(cause) && typeof cause.code === 'string' ? cause.code : null;
  if (code !== null) return { kind: Unreached.includes(code) ? 'unreached' : 'broken', detail: code };
  const detail = cause instanceof Error ? cause.message : e instanceof Error ? e.message : String(e);
  return { kind: 'broken', detail };
}
