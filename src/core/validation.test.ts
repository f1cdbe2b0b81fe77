import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { closest, editDistance, knownKeys, MAX_REPORTED_FIELDS, parseWith, unknownFields, validationError } from './validation.js';
import { HandoffError } from './errors.js';

const Capacity = z.strictObject({ minServers: z.number(), idleTimeoutSeconds: z.number().default(600) });
const Smoke = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('http'), path: z.string().default('/') }),
  z.strictObject({ kind: z.literal('command'), command: z.array(z.string()) }),
]);
const Fleet = z.strictObject({
  name: z.string(),
  capacity: Capacity,
  ports: z.array(z.strictObject({ name: z.string(), protocol: z.string().optional() })).default([]),
  smoke: Smoke.nullable().default(null),
  labels: z.record(z.string(), z.string()).default({}),
});
const Apply = z.strictObject({ fleets: z.array(Fleet).default([]) });

function errorOf(schema: z.ZodType, value: unknown, where?: string): HandoffError {
  try {
    parseWith(schema, value, where);
  } catch (e) {
    if (e instanceof HandoffError) return e;
    throw e;
  }
  throw new Error('expected a validation error');
}

describe('validationError', () => {
  it('names a misspelt nested field by its full path and suggests the right one', () => {
    const e = errorOf(Fleet, { name: 'arena', capacity: { minServers: 1, idleTimeoutSecond: 5 } }, 'body');
    expect(e.code).toBe('UNKNOWN_FIELD');
    expect(e.status).toBe(400);
    expect(e.details?.fields).toEqual([{ path: 'body.capacity.idleTimeoutSecond', field: 'idleTimeoutSecond', suggestion: 'idleTimeoutSeconds' }]);
    expect(e.message).toBe('unknown field "body.capacity.idleTimeoutSecond" (did you mean "idleTimeoutSeconds"?)');
  });

  it.each([
    ['inside an array item', { fleets: [{ name: 'a', capacity: { minServers: 1 }, ports: [{ name: 'g', protocl: 'udp' }] }] }, 'fleets.0.ports.0.protocl', 'protocol'],
    ['inside a nullable discriminated union, against the matching option', { fleets: [{ name: 'a', capacity: { minServers: 1 }, smoke: { kind: 'http', paht: '/x' } }] }, 'fleets.0.smoke.paht', 'path'],
    ['at the top level', { fleetz: [] }, 'fleetz', 'fleets'],
    ['with no close field', { fleets: [{ name: 'a', capacity: { minServers: 1 }, colour: 'red' }] }, 'fleets.0.colour', null],
  ])('finds an unknown field %s', (_what, value, path, suggestion) => {
    const e = errorOf(Apply, value);
    expect(e.code).toBe('UNKNOWN_FIELD');
    expect(e.details?.fields).toEqual([{ path, field: path.split('.').at(-1), suggestion }]);
  });

  it('lists every unknown field, and keeps the other issues beside them', () => {
    const e = errorOf(Fleet, { name: 7, capacity: { minServers: 1, idleTimeoutSecond: 5 }, portz: [] });
    expect(e.code).toBe('UNKNOWN_FIELD');
    expect((e.details?.fields as { path: string }[]).map((f) => f.path).sort()).toEqual(['capacity.idleTimeoutSecond', 'portz']);
    expect(e.details?.issues).toEqual([{ path: 'name', message: expect.any(String) }]);
    expect(e.message).toContain('unknown fields');
  });

  it('does not suggest a field the caller already gave', () => {
    expect(unknownFields(Fleet, { name: 'a', capacity: { minServers: 1 }, ports: [], portz: [] })).toEqual([
      { path: 'portz', field: 'portz', suggestion: null },
    ]);
  });

  it('answers VALIDATION_FAILED, as before, when every field is known', () => {
    const r = Fleet.safeParse({ name: 'a', capacity: { minServers: 'one' } });
    const e = validationError(r.error as z.ZodError, { schema: Fleet, value: {}, where: 'body' });
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.details?.issues).toEqual([{ path: 'body.capacity.minServers', message: expect.any(String) }]);
    expect(e.message).toMatch(/^body\.capacity\.minServers: /);
  });

  it('names at most MAX_REPORTED_FIELDS unknown fields and counts the rest', () => {
    const junk = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`junk${i}`, i]));
    const e = errorOf(Fleet, { name: 'a', capacity: { minServers: 1 }, ...junk });
    expect(e.code).toBe('UNKNOWN_FIELD');
    expect(e.details?.fields).toHaveLength(MAX_REPORTED_FIELDS);
    expect(e.details?.omittedFields).toBe(10_000 - MAX_REPORTED_FIELDS);
    expect(e.message).toMatch(/ and 9950 more$/);
  });

  it('accepts any keys in a record, whose keys are data, not fields', () => {
    expect(unknownFields(Fleet, { name: 'a', capacity: { minServers: 1 }, labels: { anything: 'x' } })).toEqual([]);
  });
});

describe('knownKeys', () => {
  it('walks through defaults, arrays and records to the object at the path', () => {
    expect(knownKeys(Apply, {}, ['fleets', 0, 'capacity'])).toEqual(['minServers', 'idleTimeoutSeconds']);
    expect(knownKeys(Apply, {}, ['fleets', 0, 'labels'])).toEqual([]);
  });
});

describe('closest', () => {
  it.each([
    ['idleTimeoutSecond', ['minServers', 'idleTimeoutSeconds'], 'idleTimeoutSeconds'],
    ['portz', ['id', 'ports', 'labels'], 'ports'],
    ['lables', ['labels', 'launch'], 'labels'],
    ['IdleTimeoutSeconds', ['idleTimeoutSeconds'], 'idleTimeoutSeconds'],
    ['nmae', ['name', 'build'], 'name'],
    ['colour', ['name', 'build'], null],
    ['ip', ['id'], null],
    ['x', [], null],
    ['a'.repeat(100_000), ['name'], null],
  ])('suggests for %s among %j: %s', (word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });
});

describe('editDistance', () => {
  it.each([
    ['', 'abc', 3], ['abc', '', 3], ['abc', 'abc', 0], ['abc', 'acb', 1], ['kitten', 'sitting', 3], ['ca', 'abc', 3], ['portz', 'ports', 1],
  ])('from %j to %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  it('is symmetric and zero only for equal strings (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
      expect(editDistance(a, b)).toBe(editDistance(b, a));
      expect(editDistance(a, b) === 0).toBe(a === b);
    }));
  });
});
