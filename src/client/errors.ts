/**
 * The errors a Handoff API client throws: `ApiError` when a replica answered with an error (its
 * `code` is the API's stable code from docs/errors.md), `ConnectionError` when no replica could
 * be reached within the retry budget.
 */

/** The server answered, with an error. `code` comes from the error catalogue when the body has one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The parsed error body, or the raw text when it was not JSON. */
  readonly body: unknown;
  /** Whether the API marked the error retryable (a later attempt may succeed). */
  readonly retryable: boolean;

  constructor(status: number, code: string, message: string, body: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
    const error = isRecord(body) && isRecord(body.error) ? body.error : null;
    this.retryable = error?.retryable === true;
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

/** No server could be reached at all, or the connection broke and the request could not safely be repeated. */
export class ConnectionError extends Error {
  /** The low-level reason, e.g. `ECONNREFUSED`, kept apart so the headline stays readable. */
  readonly detail: string;
  readonly code = 'UNREACHABLE';

  constructor(baseUrl: string, detail: string) {
    super(`cannot reach the Handoff server at ${baseUrl} (is \`handoff server\` running?)`);
    this.name = 'ConnectionError';
    this.detail = detail;
  }
}

export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
