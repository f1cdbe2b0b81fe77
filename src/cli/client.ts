/**
 * A deliberately tiny client for the `/v1` API: one `request` over `fetch`, parsed JSON out,
 * `ApiError` for any non-2xx answer. It keeps the raw text too, so `--json` can print exactly
 * what the server said.
 */

/** The server answered, with an error. `code` comes from the error catalogue when the body has one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The parsed error body, or the raw text when it was not JSON. */
  readonly body: unknown;

  constructor(status: number, code: string, message: string, body: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }

  /** Builds the error from a non-2xx response, tolerating bodies that are not ours (proxies, HTML). */
  static fromResponse(status: number, statusText: string, text: string): ApiError {
    const body = tryParseJson(text);
    const error = isRecord(body) && isRecord(body.error) ? body.error : null;
    if (error && typeof error.code === 'string') {
      const message = typeof error.message === 'string' ? error.message : statusText;
      return new ApiError(status, error.code, message, body);
    }
    const snippet = text.trim().slice(0, 200);
    return new ApiError(status, `HTTP_${status}`, snippet || statusText || 'request failed', body ?? text);
  }
}

/** The server could not be reached at all; nothing was sent or the connection broke. */
export class ConnectionError extends Error {
  /** The low-level reason, e.g. `ECONNREFUSED`, kept apart so the headline stays readable. */
  readonly detail: string;

  constructor(baseUrl: string, detail: string) {
    super(`cannot reach the Handoff server at ${baseUrl} (is \`handoff server\` running?)`);
    this.name = 'ConnectionError';
    this.detail = detail;
  }
}

export interface ApiResponse<T> {
  status: number;
  data: T;
  /** The body exactly as received. */
  text: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface ApiClientOptions {
  /** Per-request limit; a hung server should not hang a script forever. */
  timeoutMs?: number;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: ApiClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  get<T>(path: string, query: Query = {}): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, query, undefined);
  }

  post<T>(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, {}, body, headers);
  }

  /** Sends one request; resolves with parsed JSON on 2xx, throws `ApiError` or `ConnectionError`. */
  async request<T>(
    method: string,
    path: string,
    query: Query,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const url = this.baseUrl + path + queryString(query);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (e) {
      throw new ConnectionError(this.baseUrl, describeFetchFailure(e, this.timeoutMs));
    }
    if (!response.ok) throw ApiError.fromResponse(response.status, response.statusText, text);
    const data = text === '' ? null : tryParseJson(text);
    if (data === undefined) {
      throw new ApiError(response.status, 'INVALID_RESPONSE', `${method} ${path} answered with a body that is not JSON`, text);
    }
    return { status: response.status, data: data as T, text };
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
function describeFetchFailure(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return `no answer within ${timeoutMs / 1000}s`;
  }
  const cause = e instanceof Error ? e.cause : undefined;
  if (isRecord(cause) && typeof cause.code === 'string') return cause.code;
  if (cause instanceof Error) return cause.message;
  return e instanceof Error ? e.message : String(e);
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
