/**
 * A small typed client for the control plane's `/v1` API over real HTTP (fetch). Every call
 * returns `{ status, body }`; `must` turns an unexpected status into an error that shows it.
 */
import type {
  ApplyInput as ApplyRequest,
  RolloutStartInput as RolloutStart,
  FleetView,
  ServerView,
  SessionView,
  RolloutView,
  EventView,
  AllocationResponse as Allocation,
  ErrorBodyView as ErrorBody,
} from '../../../src/api/schemas.js';

export type { ApplyRequest, RolloutStart, FleetView, ServerView, SessionView, RolloutView, EventView, Allocation, ErrorBody };

/** What came back. `body` is `T` on 2xx and the error body otherwise. */
export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; body: ErrorBody };

interface List<T> {
  items: T[];
}

/** The largest page the API serves. */
const PAGE = 1000;

export class Api {
  constructor(readonly baseUrl: string) {}

  apply(req: ApplyRequest): Promise<ApiResult<unknown>> {
    return this.request('POST', '/v1/apply', req);
  }

  fleet(name: string): Promise<ApiResult<FleetView>> {
    return this.request('GET', `/v1/fleets/${name}`);
  }

  /** Live servers, or every server ever (Stopped and Crashed too) with `all`; null fleet: all fleets. */
  async servers(fleet: string | null, opts: { all?: boolean } = {}): Promise<ServerView[]> {
    const scope = fleet === null ? '' : `fleet=${fleet}&`;
    const res = await this.request<List<ServerView>>('GET', `/v1/servers?${scope}all=${opts.all === true}&limit=${PAGE}`);
    return must(res, 'list servers').items;
  }

  async sessions(fleet: string, opts: { open?: boolean } = {}): Promise<SessionView[]> {
    const open = opts.open === undefined ? '' : `&open=${opts.open}`;
    const res = await this.request<List<SessionView>>('GET', `/v1/sessions?fleet=${fleet}&limit=${PAGE}${open}`);
    return must(res, 'list sessions').items;
  }

  session(id: string): Promise<ApiResult<SessionView>> {
    return this.request('GET', `/v1/sessions/${id}`);
  }

  allocate(fleet: string, playerId: string): Promise<ApiResult<Allocation>> {
    return this.request('POST', '/v1/allocations', { fleet, playerId });
  }

  startRollout(req: RolloutStart): Promise<ApiResult<RolloutView>> {
    return this.request('POST', '/v1/rollouts', req);
  }

  rollout(id: string): Promise<ApiResult<RolloutView>> {
    return this.request('GET', `/v1/rollouts/${id}`);
  }

  abort(id: string): Promise<ApiResult<RolloutView>> {
    return this.request('POST', `/v1/rollouts/${id}/abort`);
  }

  /** The whole event log of a fleet (null: of every fleet), oldest first, following `after` page by page. */
  async events(fleet: string | null): Promise<EventView[]> {
    const all: EventView[] = [];
    for (;;) {
      const after = all.at(-1)?.seq;
      const query = `${fleet === null ? '' : `fleet=${fleet}&`}limit=${PAGE}${after === undefined ? '' : `&after=${after}`}`;
      const page = must(await this.request<List<EventView>>('GET', `/v1/events?${query}`), 'read events').items;
      all.push(...page);
      if (page.length < PAGE) return all;
    }
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path}: HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 500)}`);
    }
    return res.ok ? { ok: true, status: res.status, body: parsed as T } : { ok: false, status: res.status, body: parsed as ErrorBody };
  }
}

/** The body of a successful response; anything else fails with the status and error body. */
export function must<T>(res: ApiResult<T>, what: string): T {
  if (res.ok) return res.body;
  throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
}
