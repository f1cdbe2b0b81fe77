/**
 * The HTTP side of a follower replica: it answers `GET /v1/cluster`, `/healthz` and, given
 * `reads`, every other `GET /v1/…` itself (from state at most a bounded age old, see
 * server/follower-reads.ts), and forwards everything else — allocations and every other write
 * — to the leader, streaming the request and the answer through unchanged. Without a leader (a take-over under way) or when
 * the leader does not answer, it says so with 503 NO_LEADER, which clients retry.
 */
import { request, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { HandoffError } from '../core/errors.js';
import type { ClusterView } from './model.js';

export interface FollowerDeps {
  self: string;
  view: () => Promise<ClusterView>;
  /** The handler for reads and when its state was loaded; absent: reads are forwarded too. */
  reads?: () => Promise<{ handler: (req: IncomingMessage, res: ServerResponse) => void; loadedAt: number }>;
  now?: () => number;
}

/** Hop-by-hop headers: they describe one connection, not the request, so they are not forwarded. */
const HopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * Reads only the leader can answer: the host registry lives in the leader's memory (which agents
 * are connected, their heartbeats), not in the store a follower reads, so these are forwarded.
 */
export function leaderOnlyRead(path: string): boolean {
  return path === '/v1/hosts' || path.startsWith('/v1/hosts/');
}

export function followerHandler(deps: FollowerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((e: unknown) => send(res, e instanceof HandoffError ? e : new HandoffError('NO_LEADER', undefined, { cause: String(e) })));
  };
}

async function handle(deps: FollowerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method === 'GET' && path === '/healthz') return json(res, 200, { ok: true, role: 'follower', replica: deps.self });
  if (req.method === 'GET' && path.startsWith('/v1/') && path !== '/v1/cluster' && !leaderOnlyRead(path) && deps.reads) {
    const plane = await deps.reads();
    res.setHeader('x-handoff-served-by', deps.self);
    res.setHeader('x-handoff-state-age-ms', String(Math.max(0, (deps.now ?? Date.now)() - plane.loadedAt)));
    return plane.handler(req, res);
  }
  const view = await deps.view();
  if (req.method === 'GET' && path === '/v1/cluster') return json(res, 200, view);
  const leader = view.leader;
  if (!leader || leader.id === deps.self) throw new HandoffError('NO_LEADER');
  await forward(req, res, leader.id, leader.url, deps.self);
}

/**
 * For `server.on('upgrade')` on a follower: agents hold a WebSocket to the leader only (it runs
 * their game servers), so a follower refuses at once with 503 NO_LEADER naming the leader's URL
 * when it knows one, and the agent tries its next control-plane URL without backing off.
 */
export function followerUpgrade(deps: Pick<FollowerDeps, 'self' | 'view'>): (req: IncomingMessage, socket: Duplex) => void {
  return (_req, socket) => {
    const answer = (leaderUrl: string | undefined): void => {
      const error = new HandoffError('NO_LEADER', `replica ${deps.self} does not lead; agents connect to the leader`, {
        replica: deps.self, ...(leaderUrl ? { leader: leaderUrl } : {}),
      });
      const json = JSON.stringify(error.toBody());
      socket.end(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    };
    socket.on('error', () => undefined);
    deps.view().then(
      (view) => answer(view.leader && view.leader.id !== deps.self ? view.leader.url : undefined),
      () => answer(undefined),
    );
  };
}

export interface FollowerSdkDeps {
  self: string;
  view: () => Promise<ClusterView>;
  /** Sent with the follower's own answers (the SDK protocol version, so SDKs do not take it for an old endpoint). */
  headers?: Record<string, string>;
}

/**
 * A follower's SDK endpoint: game servers hold every replica's SDK URL (HANDOFF_SDK_URL lists
 * them), and whichever they reach forwards the call — the watch stream included — to the
 * leader's SDK endpoint. Without a leader it answers 503 NO_LEADER, which the SDK retries
 * (on another replica) and buffers session ends through.
 */
export function followerSdkHandler(deps: FollowerSdkDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const run = async (): Promise<void> => {
      const leader = (await deps.view()).leader;
      if (!leader?.sdkUrl || leader.id === deps.self) throw new HandoffError('NO_LEADER');
      await forward(req, res, leader.id, leader.sdkUrl, deps.self);
    };
    run().catch((e: unknown) => {
      for (const [k, v] of Object.entries(deps.headers ?? {})) if (!res.headersSent) res.setHeader(k, v);
      send(res, e instanceof HandoffError ? e : new HandoffError('NO_LEADER', undefined, { cause: String(e) }));
    });
  };
}

/** Streams the request to `base` on the leader and its answer back, unchanged but for hop-by-hop headers. */
async function forward(req: IncomingMessage, res: ServerResponse, leaderId: string, base: string, self: string): Promise<void> {
  const target = new URL(req.url ?? '/', base);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HopByHop.has(k)) headers[k] = v;
  // The leader checks Host against its own names (DNS-rebinding protection): address it by them.
  headers.host = target.host;
  headers['x-handoff-forwarded-by'] = self;
  await new Promise<void>((resolve, reject) => {
    const upstream = request(target, { method: req.method, headers }, (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HopByHop.has(k)) out[k] = v;
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.on('end', resolve);
      answer.on('error', reject);
    });
    upstream.on('error', (e) => reject(new HandoffError('NO_LEADER', undefined, { leader: leaderId, cause: e.message })));
    // A caller that goes away (a watch stream closed) must not leave the leader's side open.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
}

function send(res: ServerResponse, e: HandoffError): void {
  if (res.headersSent) return void res.destroy();
  json(res, e.status, e.toBody(), e.retryable ? { 'retry-after': '1' } : {});
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
