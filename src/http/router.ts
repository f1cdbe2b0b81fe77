/**
 * Route matching and request-input validation for the HTTP stack. Path parameters are decoded
 * and validated by the route's declaration together with the query and the body, so a bad
 * escape or a malformed id is a 400 with a code — never an exception in a handler.
 */
import type { z } from 'zod';
import { HandoffError } from '../core/errors.js';
import { validationError } from '../core/validation.js';
import type { RouteDef } from './route.js';

export interface CompiledRoute {
  method: string;
  re: RegExp;
  keys: string[];
  route: RouteDef;
}

export type Match =
  | { kind: 'found'; route: RouteDef; keys: readonly string[]; rawParams: string[] }
  | { kind: 'options'; methods: string[] }
  | { kind: 'method' }
  | { kind: 'none' };

export type Target = { ok: true; path: string; search: string } | { ok: false; path: string; search: string; reason: string };

export function compileRoutes(routes: readonly RouteDef[]): CompiledRoute[] {
  return routes.map((route) => {
    const keys: string[] = [];
    // Braces are not escaped: they mark the parameters replaced next.
    const escaped = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    const pattern = escaped.replace(/\{([^}]+)\}/g, (_m, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    return { method: route.method.toUpperCase(), re: new RegExp(`^${pattern}$`), keys, route };
  });
}

/** Splits a request target into path and query; only origin-form (`/path?query`) is served. */
export function splitTarget(url: string): Target {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const search = q < 0 ? '' : url.slice(q + 1);
  if (!path.startsWith('/')) return { ok: false, path, search, reason: 'the request target must be a path starting with /' };
  return { ok: true, path, search };
}

export function matchRoute(compiled: readonly CompiledRoute[], method: string, path: string): Match {
  const methods: string[] = [];
  for (const c of compiled) {
    const m = c.re.exec(path);
    if (!m) continue;
    methods.push(c.method);
    if (c.method === method) return { kind: 'found', route: c.route, keys: c.keys, rawParams: m.slice(1) };
  }
  if (methods.length === 0) return { kind: 'none' };
  return method === 'OPTIONS' ? { kind: 'options', methods } : { kind: 'method' };
}

/**
 * Decodes and validates params, query and body against the route's schemas. `keys` are the
 * route's parameter names as compiled once (the hot path no longer re-reads the path pattern).
 */
export function parseInput(route: RouteDef, keys: readonly string[], rawParams: readonly string[], search: string, body: unknown): { params: unknown; query: unknown; body: unknown } {
  const decoded: Record<string, string> = {};
  keys.forEach((k, i) => (decoded[k] = decodeParam(rawParams[i] ?? '', k)));
  return {
    params: validate(route.params, decoded, 'path'),
    query: validate(route.query, search === '' ? {} : Object.fromEntries(new URLSearchParams(search)), 'query'),
    body: route.body ? validate(route.body, body, 'body') : undefined,
  };
}

function decodeParam(raw: string, key: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HandoffError('MALFORMED_URL', `path parameter ${key} is not a valid percent-encoded UTF-8 string`, { parameter: key });
  }
}

function validate<T>(schema: z.ZodType<T> | undefined, value: unknown, where: 'path' | 'query' | 'body'): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw validationError(r.error, { schema, value, where });
}
