/**
 * A deliberately tiny client for the `/v1` API: one `request`, parsed JSON out, `ApiError` for
 * any non-2xx answer. It keeps the raw text too, so `--json` can print exactly what the server
 * said. Requests go through the failover transport shared with `handoff/client`
 * (src/client/transport.ts): given several replicas (`HANDOFF_URL=http://a,http://b`), it
 * rotates through them and retries what a take-over refuses.
 */
import { FailoverTransport, type ApiResponse, type Query, type TransportOptions } from '../client/transport.js';

export { ApiError, ConnectionError, isRecord } from '../client/errors.js';
export type { ApiResponse, Query } from '../client/transport.js';

export interface ApiClientOptions {
  /** Per-request limit; a hung server should not hang a script forever. */
  timeoutMs?: number;
  /**
   * How long to keep retrying through replicas. Default: 15 s with several URLs; with one, no
   * retry at all, so a control plane that is simply not running is reported at once.
   */
  retryBudgetMs?: number;
  onRetry?: TransportOptions['onRetry'];
}

export class ApiClient {
  private readonly transport: FailoverTransport;

  constructor(urls: string | readonly string[], options: ApiClientOptions = {}) {
    const list = typeof urls === 'string' ? [urls] : urls;
    this.transport = new FailoverTransport(list, {
      timeoutMs: options.timeoutMs ?? 30_000,
      retry: { budgetMs: options.retryBudgetMs ?? (list.length > 1 ? 15_000 : 0) },
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
  }

  /** The replica requests go to first (the one that answered last). */
  get baseUrl(): string {
    return this.transport.url;
  }

  get urls(): readonly string[] {
    return this.transport.urls;
  }

  get<T>(path: string, query: Query = {}): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, query, undefined);
  }

  post<T>(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, {}, body, headers);
  }

  /** Sends one request; resolves with parsed JSON on 2xx, throws `ApiError` or `ConnectionError`. */
  request<T>(method: string, path: string, query: Query, body: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    return this.transport.request<T>({ method, path, query, body, headers });
  }
}
