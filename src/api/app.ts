/**
 * The HTTP app: turns route declarations into Hono routes with one body parser, one validator
 * and one error handler, so every failure a client sees is `{ error: { code, … } }` with the
 * status from the catalogue.
 */
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { HandoffError } from '../core/errors.js';
import { errorResponse } from './http-errors.js';
import { honoPath, isHandlerResult, type RouteDef } from './route.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface AppExtras {
  /** Non-JSON endpoints (metrics, dashboard) mounted before the catch-all. */
  mount?: (app: Hono) => void;
}

export function createApp(routes: readonly RouteDef[], extras: AppExtras = {}): Hono {
  const app = new Hono();
  extras.mount?.(app);
  for (const route of routes) {
    app.on(route.method.toUpperCase(), honoPath(route.path), async (c) => {
      const params = parse(route.params, c.req.param(), 'path');
      const query = parse(route.query, Object.fromEntries(new URL(c.req.url).searchParams), 'query');
      const body = route.body ? parse(route.body, await readJson(c), 'body') : undefined;
      const out = await route.handler({ params, query, body, headers: c.req.raw.headers });
      if (isHandlerResult(out)) return c.json(out.body as object, out.status as 200);
      return c.json(out as object, (route.status ?? 200) as 200);
    });
  }
  const patterns = routes.map((r) => ({ method: r.method.toUpperCase(), re: new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const other = patterns.some((p) => p.re.test(path) && p.method !== c.req.method);
    const { status, body } = errorResponse(new HandoffError(other ? 'METHOD_NOT_ALLOWED' : 'ROUTE_NOT_FOUND', undefined, { method: c.req.method, path }));
    return c.json(body, status as 404);
  });
  app.onError((e, c) => {
    const { status, body } = errorResponse(e);
    return c.json(body, status as 500);
  });
  return app;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  const first = issues[0];
  throw new HandoffError('VALIDATION_FAILED', first ? `${first.path}: ${first.message}` : 'invalid request', { issues });
}

async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (type && !type.includes('json')) throw new HandoffError('UNSUPPORTED_MEDIA_TYPE', undefined, { contentType: type });
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw new HandoffError('PAYLOAD_TOO_LARGE', undefined, { limit: MAX_BODY_BYTES });
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new HandoffError('PAYLOAD_TOO_LARGE', undefined, { limit: MAX_BODY_BYTES });
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HandoffError('MALFORMED_JSON', undefined, { cause: e instanceof Error ? e.message : String(e) });
  }
}
