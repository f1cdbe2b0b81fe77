/**
 * Generators of hostile HTTP requests for the fuzz test: every declared route, with malformed
 * escapes, wrong methods and media types, forged hosts and origins, bad tokens, mutated valid
 * bodies, huge and deeply nested bodies, unicode and NUL bytes.
 */
import fc from 'fast-check';

export interface RouteShape {
  method: string;
  path: string;
  /** A valid body for this route, mutated by the generator. */
  template?: unknown;
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface FuzzContext {
  /** Values that are real: a fleet, a build, a server id, a session id. */
  names: readonly string[];
  /** Headers that authenticate, per surface (the SDK token). */
  auth: Record<string, string>;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const BAD_ESCAPES = ['%', '%ZZ', '%C0', '%E0%A4%A', '%00', '..%2F..%2Fetc', '%FF%FE', 'a%', '%%41'];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain;json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx', ''];

const weird = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '\u0000', 'a\u0000b', '💥', 'ﬀ', '\uD800', 'x'.repeat(5000), 'CON', '../..', ' '),
);

/** A path-parameter value: real, random (encoded) or a malformed escape (sent raw). */
function paramValue(ctx: FuzzContext): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ctx.names) },
    { weight: 3, arbitrary: weird.map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '?'))) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_ESCAPES) },
  );
}

/** Replaces one top-level field with anything, drops one, or adds an unknown one. */
function mutate(template: unknown): fc.Arbitrary<unknown> {
  if (typeof template !== 'object' || template === null) return fc.constant(template);
  const keys = Object.keys(template);
  const obj = template as Record<string, unknown>;
  const unknownField = fc.tuple(weird, fc.anything()).map(([key, value]) => ({ ...obj, [key]: value }));
  if (keys.length === 0) return fc.oneof(fc.constant(template), unknownField);
  return fc.oneof(
    fc.constant(template),
    fc.record({ key: fc.constantFrom(...keys), value: fc.anything() }).map(({ key, value }) => ({ ...obj, [key]: value })),
    fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key))),
    unknownField,
  );
}

function body(template: unknown): fc.Arbitrary<Buffer | undefined> {
  // Weighted so that the expensive shapes (a body over the limit, deep nesting) stay a few
  // percent of the runs: enough to be exercised hundreds of times, cheap enough for `npm test`.
  return fc.oneof(
    { weight: 60, arbitrary: mutate(template).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 20, arbitrary: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))) },
    { weight: 10, arbitrary: fc.constant(undefined) },
    { weight: 10, arbitrary: weird.map((s) => Buffer.from(s)) },
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 100_000 }).map((n) => Buffer.from('['.repeat(n) + ']'.repeat(n))) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => Buffer.from(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`)) },
    { weight: 1, arbitrary: fc.constant(OVERSIZE) },
  );
}

const OVERSIZE = Buffer.from(`{"a":"${'x'.repeat(1_100_000)}"}`);

function fillPath(pattern: string, ctx: FuzzContext): fc.Arbitrary<string> {
  const parts = pattern.split(/(\{[^}]+\})/);
  return fc.tuple(...parts.map((p) => (p.startsWith('{') ? paramValue(ctx) : fc.constant(p)))).map((xs) => xs.join(''));
}

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?limit=-1', '?limit=abc', '?limit=1e309', '?fleet=%ZZ', '?open=maybe', '?limit=5&limit=6', '?%=%', '?fleet=arena&limit=2'),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }).map((d) => `?${new URLSearchParams(d).toString()}`),
);

export function fuzzRequest(routes: readonly RouteShape[], ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...routes).chain((route) =>
    fc.record({
      method: fc.oneof({ weight: 6, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
      path: fc.tuple(fillPath(route.path, ctx), query).map(([p, q]) => p + q),
      contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
      host: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('attacker.example', '127.0.0.1.nip.io', '[::1', '', 'localhost:99999') }),
      origin: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1') }),
      auth: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      token: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('Bearer nope', 'Bearer', 'Basic x', 'Bearer ' + 'x'.repeat(10_000)) }),
      protocol: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('1', '2', '99', 'abc', '-1') }),
      body: route.method === 'get' || route.method === 'delete' ? fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: body(route.template) }) : body(route.template),
    }).map((r) => {
      const headers: Record<string, string> = {};
      if (r.body !== undefined && r.contentType !== '') headers['content-type'] = r.contentType;
      if (r.host !== null) headers['host'] = r.host;
      if (r.origin !== null) headers['origin'] = r.origin;
      if (r.auth) Object.assign(headers, ctx.auth);
      if (r.token !== null) headers['authorization'] = r.token;
      if (r.protocol !== null) headers['handoff-sdk-protocol'] = r.protocol;
      return { method: r.method, path: r.path, headers, body: r.body };
    }),
  );
}
