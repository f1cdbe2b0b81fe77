/**
 * The one place a schema failure becomes a HandoffError, for the HTTP API and the CLI alike.
 * Unknown fields get their own code, UNKNOWN_FIELD, naming each field by its full path with the
 * closest valid field, as kubectl's strict field validation does: a typo such as
 * `idleTimeoutSecond` must not silently fall back to a default. Everything else is
 * VALIDATION_FAILED with one entry per issue.
 */
import { z } from 'zod';
import { HandoffError } from './errors.js';

export interface UnknownField {
  /** Full dotted path, prefixed with where the value came from (`body.capacity.idleTimeoutSecond`). */
  path: string;
  field: string;
  /** The closest field the schema knows at that place, if any is close enough. */
  suggestion: string | null;
}

export interface Issue {
  path: string;
  message: string;
}

export interface ValidationContext {
  /** The schema that failed and the value it was given: used to find the known fields. */
  schema: z.ZodType;
  value: unknown;
  /** Prefix of every path, e.g. `body`, `query`; omitted when empty. */
  where?: string;
}

/**
 * At most this many unknown fields are named (and given a suggestion) per error, so a body of
 * a hundred thousand junk keys costs neither seconds of CPU nor a response larger than itself.
 */
export const MAX_REPORTED_FIELDS = 50;

/** Turns a failed parse into UNKNOWN_FIELD (when any field is unknown) or VALIDATION_FAILED. */
export function validationError(error: z.ZodError, ctx: ValidationContext): HandoffError {
  const prefix = ctx.where ? [ctx.where] : [];
  const fields = unknownFieldsOf(error, ctx);
  const issues: Issue[] = error.issues
    .filter((i) => i.code !== 'unrecognized_keys')
    .slice(0, MAX_REPORTED_FIELDS)
    .map((i) => ({ path: joinPath([...prefix, ...i.path]), message: i.message }));
  if (fields.length > 0) {
    const total = error.issues.reduce((n, i) => n + (i.code === 'unrecognized_keys' ? i.keys.length : 0), 0);
    const omitted = total - fields.length;
    const message = describeUnknownFields(fields) + (omitted > 0 ? ` and ${omitted} more` : '');
    return new HandoffError('UNKNOWN_FIELD', message, { fields, issues, ...(omitted > 0 ? { omittedFields: omitted } : {}) });
  }
  const first = issues[0];
  return new HandoffError('VALIDATION_FAILED', first ? `${first.path}: ${first.message}` : 'invalid request', { issues });
}

/** Parses `value`, throwing the coded error of `validationError` on failure. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw validationError(r.error, { schema, value, where });
}

/** Only the unknown fields of `value` under `schema` (empty when there are none). */
export function unknownFields(schema: z.ZodType, value: unknown, where?: string): UnknownField[] {
  const r = schema.safeParse(value);
  return r.success ? [] : unknownFieldsOf(r.error, { schema, value, where });
}

/** `unknown field "a.b" (did you mean "c"?)`, one clause per field. */
export function describeUnknownFields(fields: readonly UnknownField[]): string {
  const parts = fields.map((f) => `"${f.path}"${f.suggestion === null ? '' : ` (did you mean "${f.suggestion}"?)`}`);
  return `unknown field${fields.length > 1 ? 's' : ''} ${parts.join(', ')}`;
}

function unknownFieldsOf(error: z.ZodError, ctx: ValidationContext): UnknownField[] {
  const prefix = ctx.where ? [ctx.where] : [];
  const out: UnknownField[] = [];
  for (const issue of error.issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const here = valueAt(ctx.value, issue.path);
    const present = isRecord(here) ? Object.keys(here) : [];
    // Suggest only fields the caller has not already given: `ports` next to `portz` is no hint.
    const known = knownKeys(ctx.schema, ctx.value, issue.path).filter((k) => !present.includes(k));
    for (const field of issue.keys) {
      if (out.length >= MAX_REPORTED_FIELDS) return out;
      out.push({ path: joinPath([...prefix, ...issue.path, field]), field, suggestion: closest(field, known) });
    }
  }
  return out;
}

/**
 * The known field closest to `word` by Damerau–Levenshtein distance (optimal string alignment,
 * case-insensitive), or null when none is within a third of the longer word: close enough to be
 * a typo, far enough that a two-letter field is not offered for any other two letters. Ties go to
 * the first candidate.
 */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const cutoff = Math.floor(Math.max(word.length, c.length) / 3);
    // The distance is at least the difference in length: skip the quadratic work when that alone rules it out.
    if (Math.abs(word.length - c.length) > cutoff) continue;
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d <= cutoff && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  // Three rolling rows: the current one, the previous one, and the one before for transpositions.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = new Array<number>(b.length + 1).fill(i);
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1);
      current[j] = d;
    }
    [before, previous] = [previous, current];
  }
  return previous[b.length] as number;
}

/**
 * The keys the schema allows for the object at `path` of `value`. Walks through the wrappers
 * (optional, nullable, default, pipe, lazy…) and containers (object, array, record, tuple); at a
 * union, follows the options that fit the value best, so a smoke check of `kind: http` is
 * compared with the http fields, not the command ones.
 */
export function knownKeys(schema: z.ZodType, value: unknown, path: readonly PropertyKey[]): string[] {
  let schemas = [schema];
  let v = value;
  for (const segment of path) {
    schemas = schemas.flatMap((s) => resolve(s, v)).flatMap((s) => child(s, segment));
    v = isRecord(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[segment] : undefined;
  }
  const keys = new Set<string>();
  for (const s of schemas.flatMap((x) => resolve(x, v))) {
    if (s instanceof z.ZodObject) for (const k of Object.keys(s.shape)) keys.add(k);
  }
  return [...keys];
}

/** Unwraps a schema to the concrete schemas that may describe `value` (several at a union). */
function resolve(schema: z.ZodType, value: unknown, depth = 0): z.ZodType[] {
  if (depth > 32) return [];
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const inner = (s: unknown): z.ZodType[] => resolve(s as z.ZodType, value, depth + 1);
  switch (def.type) {
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'nonoptional': case 'readonly': case 'catch':
      return inner(def.innerType);
    case 'pipe':
      return inner(def.in);
    case 'lazy':
      return inner((def.getter as () => unknown)());
    case 'union':
      return bestOptions(def.options as z.ZodType[], value).flatMap(inner);
    default:
      return [schema];
  }
}

/** The union options with the fewest issues for `value` other than unknown fields. */
function bestOptions(options: readonly z.ZodType[], value: unknown): z.ZodType[] {
  const scored = options.map((o) => {
    const r = o.safeParse(value);
    return { o, score: r.success ? 0 : r.error.issues.filter((i) => i.code !== 'unrecognized_keys').length };
  });
  const min = Math.min(...scored.map((s) => s.score));
  return scored.filter((s) => s.score === min).map((s) => s.o);
}

function child(schema: z.ZodType, segment: PropertyKey): z.ZodType[] {
  if (schema instanceof z.ZodObject) {
    const field = (schema.shape as Record<PropertyKey, z.ZodType | undefined>)[segment];
    return field ? [field] : [];
  }
  if (schema instanceof z.ZodArray) return [schema.element as z.ZodType];
  if (schema instanceof z.ZodRecord) return [schema.valueType as z.ZodType];
  if (schema instanceof z.ZodTuple) {
    const item = typeof segment === 'number' ? schema.def.items[segment] : undefined;
    return item ? [item as z.ZodType] : [];
  }
  return [];
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const segment of path) v = isRecord(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[segment] : undefined;
  return v;
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
