/**
 * The HTTP front: a small router over node:http built from the route declarations, with one
 * body reader, one validator and one error handler, so every failure a client sees is
 * `{ error: { code, … } }` with the status from the catalogue. Plain node:http (rather than a
 * Fetch-API adapter) because allocation is the hot path: it avoids building a Web Request,
 * AbortSignal and stream per call, which cost about a fifth of the event loop under load.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { HandoffError } from '../core/errors.js';
import { validationError } from '../core/validation.js';
import { errorResponse } from './http-errors.js';
import { isHandlerResult, type RouteDef } from './route.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/** A non-JSON endpoint (metrics, OpenAPI, health) served next to the declared routes. */
export interface RawRoute {
  method: 'GET';
  path: string;
  handler: () => Promise<{ status: number; contentType: string; body: string }>;
}

interface Compiled {
  method: string;
  re: RegExp;
  keys: string[];
  route: RouteDef;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createHandler(routes: readonly RouteDef[], raw: readonly RawRoute[] = []): RequestHandler {
  const compiled = routes.map(compile);
  const rawByPath = new Map(raw.map((r) => [r.path, r]));
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const rawRoute = rawByPath.get(path);
    if (rawRoute && method === rawRoute.method) {
      rawRoute.handler().then((r) => send(res, r.status, r.contentType, r.body), (e: unknown) => sendError(res, e));
      return;
    }
    let pathMatched = false;
    for (const c of compiled) {
      const m = c.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (c.method !== method) continue;
      const params: Record<string, string> = {};
      c.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1] ?? '')));
      dispatch(c.route, req, params, q < 0 ? '' : url.slice(q + 1)).then(
        ({ status, body }) => send(res, status, 'application/json', JSON.stringify(body)),
        (e: unknown) => sendError(res, e),
      );
      return;
    }
    // Drain any body so the connection can be reused, then answer.
    req.resume();
    sendError(res, new HandoffError(pathMatched ? 'METHOD_NOT_ALLOWED' : 'ROUTE_NOT_FOUND', undefined, { method, path }));
  };
}

function compile(route: RouteDef): Compiled {
  const keys: string[] = [];
  // Braces are not escaped: they mark the parameters replaced next.
  const escaped = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  const pattern = escaped.replace(/\{([^}]+)\}/g, (_m, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { method: route.method.toUpperCase(), re: new RegExp(`^${pattern}$`), keys, route };
}

async function dispatch(route: RouteDef, req: IncomingMessage, rawParams: Record<string, string>, search: string): Promise<{ status: number; body: unknown }> {
  const params = parse(route.params, rawParams, 'path');
  const query = parse(route.query, Object.fromEntries(new URLSearchParams(search)), 'query');
  const body = route.body ? parse(route.body, await readJson(req), 'body') : (req.resume(), undefined);
  const headers = { get: (name: string): string | null => headerValue(req, name) };
  const out = await route.handler({ params, query, body, headers });
  if (isHandlerResult(out)) return out;
  return { status: route.status ?? 200, body: out };
}

function headerValue(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name.toLowerCase()];
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw validationError(r.error, { schema, value, where });
}

function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (type && !type.includes('json')) {
    req.resume();
    return Promise.reject(new HandoffError('UNSUPPORTED_MEDIA_TYPE', undefined, { contentType: type }));
  }
  if (Number(req.headers['content-length'] ?? '0') > MAX_BODY_BYTES) {
    req.resume();
    return Promise.reject(new HandoffError('PAYLOAD_TOO_LARGE', undefined, { limit: MAX_BODY_BYTES }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES && !failed) {
        failed = true;
        reject(new HandoffError('PAYLOAD_TOO_LARGE', undefined, { limit: MAX_BODY_BYTES }));
      }
      if (!failed) chunks.push(chunk);
    });
    req.on('error', (e) => reject(e));
    req.on('end', () => {
      if (failed) return;
      const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text) as unknown);
      } catch (e) {
        reject(new HandoffError('MALFORMED_JSON', undefined, { cause: e instanceof Error ? e.message : String(e) }));
      }
    });
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, e: unknown): void {
  const { status, body } = errorResponse(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, status, 'application/json', JSON.stringify(body));
}
