/**
 * The one HTTP stack: a small router over node:http built from route declarations, serving both
 * the `/v1` API and the game-server SDK endpoint. Every request passes the same gates in the
 * same order — admission (load shedding), Host/Origin, authentication, routing, validation —
 * and every failure a client sees is `{ error: { code, … } }` with the catalogue's status.
 *
 * A request can never take the process down: everything from the first byte to the response is
 * inside one try/catch or promise chain, and anything that is not a HandoffError is logged and
 * answered as a coded 500 (a failed commit's deliberate exit is the persister's business).
 * Plain node:http rather than a Fetch-API adapter, because allocation is the hot path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { HandoffError, isHandoffError } from '../core/errors.js';
import { Admission } from './admission.js';
import { readJsonBody } from './body.js';
import { checkRequest, type OriginPolicy } from './request-guard.js';
import { isHandlerResult, StreamResult, type RouteDef } from './route.js';
import { compileRoutes, matchRoute, parseInput, splitTarget } from './router.js';

/** A non-JSON endpoint (metrics, OpenAPI, health) served next to the declared routes; never shed. */
export interface RawRoute {
  method: 'GET';
  path: string;
  handler: () => Promise<{ status: number; contentType: string; body: string }>;
}

export interface HttpStackOptions<A = unknown> {
  raw?: readonly RawRoute[];
  /** Default body limit; a route may set its own. */
  maxBodyBytes: number;
  /**
   * `json-only` (default): a body must be sent as `application/json`, which no cross-origin
   * "simple" request can do. `any`: read whatever type is declared — only for a surface whose
   * every route needs a credential a browser page cannot attach without a refused preflight.
   */
  bodyMediaType?: 'json-only' | 'any';
  /** Requests in flight before the excess is answered 429 OVERLOADED at once. */
  maxInFlight: number;
  policy: OriginPolicy;
  /** Establishes the caller for every path under `prefix`, before routing; throws a HandoffError. */
  authenticate?: { prefix: string; check: (header: (name: string) => string | null) => A };
  /** Headers on every response (e.g. the SDK protocol version). */
  responseHeaders?: Readonly<Record<string, string>>;
  /** When it returns an error, every request is answered with it (shutting down, store failed). */
  refusal?: () => HandoffError | null;
  /** True while closing: responses ask the client to drop its keep-alive connection. */
  isClosing?: () => boolean;
  /** Anything thrown that is not a HandoffError: a bug, logged with the id the client sees. */
  onUnexpectedError: (e: unknown, context: { errorId: string; method: string; path: string }) => void;
}

export type RequestHandler = ((req: IncomingMessage, res: ServerResponse) => void) & { readonly admission: Admission };

const CORS_ALLOW_HEADERS = 'content-type, authorization, idempotency-key';

export function createHandler<A>(routes: readonly RouteDef[], opts: HttpStackOptions<A>): RequestHandler {
  const compiled = compileRoutes(routes);
  const rawByPath = new Map((opts.raw ?? []).map((r) => [r.path, r]));
  const admission = new Admission(opts.maxInFlight);
  const overloaded = Buffer.from(JSON.stringify(new HandoffError('OVERLOADED', undefined, { limit: admission.limit }).toBody()));

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    // A client that resets mid-request must not surface as an unhandled 'error' event.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const method = req.method ?? 'GET';
    const target = splitTarget(req.url ?? '/');
    const raw = rawByPath.get(target.path);
    const release = raw ? () => undefined : admission.tryEnter();
    // Shedding must cost far less than serving, or an overload still starves accepted requests:
    // a prebuilt answer, no error object, no parsing of the body (a small one is discarded).
    if (!release) return shed(req, res, overloaded, opts);
    let corsOrigin: string | null = null;
    const fail = (e: unknown): void => sendError(req, res, e, corsOrigin, opts, method, target.path);
    try {
      res.once('close', release);

      const refusal = opts.refusal?.();
      if (refusal) return fail(refusal);
      const verdict = checkRequest(
        { host: req.headers.host, origin: header(req, 'origin') ?? undefined, secFetchSite: header(req, 'sec-fetch-site') ?? undefined },
        opts.policy,
      );
      if (!verdict.ok) return fail(new HandoffError(verdict.code, verdict.detail));
      corsOrigin = verdict.corsOrigin;
      if (!target.ok) return fail(new HandoffError('MALFORMED_URL', target.reason));

      if (raw && method === raw.method) {
        raw.handler().then((r) => send(res, r.status, { 'content-type': r.contentType }, r.body, opts), fail);
        return;
      }
      const get = (name: string): string | null => header(req, name);
      const principal = opts.authenticate && target.path.startsWith(opts.authenticate.prefix) ? opts.authenticate.check(get) : (undefined as A);
      const match = matchRoute(compiled, method, target.path);
      if (match.kind === 'options') return preflight(res, match.methods, corsOrigin, opts);
      if (match.kind !== 'found') {
        return fail(new HandoffError(match.kind === 'method' ? 'METHOD_NOT_ALLOWED' : 'ROUTE_NOT_FOUND', undefined, { method, path: target.path }));
      }
      const { route } = match;
      const body = route.body ? readJsonBody(req, route.maxBodyBytes ?? opts.maxBodyBytes, opts.bodyMediaType) : Promise.resolve(undefined);
      body
        .then(async (value) => {
          const input = parseInput(route, match.keys, match.rawParams, target.search, value);
          if (route.longPoll) release();
          const out = await route.handler({ ...input, headers: { get }, principal });
          if (out instanceof StreamResult) {
            // A stream lives as long as its client: it must not hold an admission slot.
            release();
            if (corsOrigin) res.setHeader('access-control-allow-origin', corsOrigin);
            return out.open(res);
          }
          const { status, body: payload, headers: extra } = isHandlerResult(out) ? out : { status: route.status ?? 200, body: out, headers: undefined };
          const headers: Record<string, string> = { ...extra, ...(corsOrigin ? { 'access-control-allow-origin': corsOrigin, vary: 'origin' } : {}) };
          if (payload === undefined) return send(res, status, headers, '', opts);
          send(res, status, { ...headers, 'content-type': 'application/json' }, JSON.stringify(payload), opts);
        })
        .catch(fail);
    } catch (e) {
      fail(e);
    }
  };
  return Object.assign(handle, { admission });
}

function shed(req: IncomingMessage, res: ServerResponse, body: Buffer, opts: HttpStackOptions<unknown>): void {
  const headers: Record<string, string | number> = { ...opts.responseHeaders, 'content-type': 'application/json', 'content-length': body.length, 'retry-after': '1' };
  if (mustClose(req)) headers['connection'] = 'close';
  else req.resume();
  res.writeHead(429, headers);
  res.end(body);
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}

function preflight(res: ServerResponse, methods: readonly string[], corsOrigin: string | null, opts: HttpStackOptions<unknown>): void {
  const allow = [...methods, 'OPTIONS'].join(', ');
  const headers: Record<string, string> = { allow };
  if (corsOrigin) {
    Object.assign(headers, {
      'access-control-allow-origin': corsOrigin,
      'access-control-allow-methods': allow,
      'access-control-allow-headers': CORS_ALLOW_HEADERS,
      'access-control-max-age': '600',
      vary: 'origin',
    });
  }
  send(res, 204, headers, '', opts);
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string, opts: HttpStackOptions<unknown>): void {
  if (res.headersSent || res.destroyed) return;
  const all: Record<string, string | number> = { ...opts.responseHeaders, ...headers };
  // 204 and 304 carry no body (RFC 9110); a 304's headers describe the representation the client holds.
  const bodiless = status === 204 || status === 304;
  if (!bodiless) all['content-length'] = Buffer.byteLength(body);
  if (opts.isClosing?.()) all['connection'] = 'close';
  res.writeHead(status, all);
  res.end(bodiless ? undefined : body);
}

function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  e: unknown,
  corsOrigin: string | null,
  opts: HttpStackOptions<unknown>,
  method: string,
  path: string,
): void {
  let err: HandoffError;
  if (isHandoffError(e)) err = e;
  else {
    const errorId = randomUUID();
    opts.onUnexpectedError(e, { errorId, method, path });
    // The cause goes to the log, not to the client: it may carry internals.
    err = new HandoffError('INTERNAL', undefined, { errorId });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (corsOrigin) headers['access-control-allow-origin'] = corsOrigin;
  const retryAfter = err.retryAfterSeconds ?? (err.status === 429 || err.status === 503 ? 1 : null);
  if (retryAfter !== null) headers['retry-after'] = String(retryAfter);
  // A body we did not read (refused early, or too large) is not worth reading: close instead.
  // Node closes the socket once this response is written. A body over the limit always closes
  // it: its sender may still be streaming, and reading on would be what the limit refuses.
  if (err.code === 'PAYLOAD_TOO_LARGE' || mustClose(req)) headers['connection'] = 'close';
  else req.resume();
  send(res, err.status, headers, JSON.stringify(err.toBody()), opts);
}

/** Bodies up to this size that were not read are discarded and the connection kept. */
const DISCARD_LIMIT = 64 * 1024;

/**
 * Whether an answer given without reading the body should close the connection. A small body
 * is read and thrown away, so the keep-alive connection — and the requests pipelined behind
 * this one — live on (closing it on every shed answer would lose them all and make clients
 * reconnect in a burst). A large or chunked body is not worth reading: close instead.
 */
function mustClose(req: IncomingMessage): boolean {
  if (req.complete) return false;
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length'] ?? '0');
  return !Number.isFinite(length) || length > DISCARD_LIMIT;
}
