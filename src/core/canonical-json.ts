/**
 * JSON with object keys sorted at every depth, so two values that differ only in key order
 * (`{ a, b }` and `{ b, a }`) serialise, and therefore hash, the same. Arrays keep their order:
 * it carries meaning.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties, so a key named `__proto__` stays a key.
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
}
