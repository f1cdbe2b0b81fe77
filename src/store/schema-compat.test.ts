import { describe, expect, it } from 'vitest';
import { checkSteps, compatibleFromAt, decideSchema, type SchemaStep } from './schema-compat.js';

const steps: SchemaStep[] = [
  { version: 1 }, { version: 2 }, { version: 3 },
  // Drops what code before version 3 used.
  { version: 4, contract: { compatibleFrom: 3 } },
  { version: 5 },
];

describe('compatibleFromAt', () => {
  it.each([
    [1, 1], [3, 1], [4, 3], [5, 3],
  ])('after version %i, code knowing version %i or newer still runs', (version, from) => {
    expect(compatibleFromAt(steps, version)).toBe(from);
  });
});

describe('decideSchema', () => {
  it.each([
    { case: 'an empty database', db: { version: 0, compatibleFrom: null }, known: 7, action: 'migrate' },
    { case: 'an older schema', db: { version: 5, compatibleFrom: 1 }, known: 7, action: 'migrate' },
    { case: 'its own schema', db: { version: 7, compatibleFrom: 1 }, known: 7, action: 'migrate' },
    { case: 'a newer schema that only expanded', db: { version: 9, compatibleFrom: 1 }, known: 7, action: 'run-newer' },
    { case: 'a newer schema contracted down to exactly this version', db: { version: 9, compatibleFrom: 7 }, known: 7, action: 'run-newer' },
    { case: 'a newer schema contracted past this version', db: { version: 9, compatibleFrom: 8 }, known: 7, action: 'refuse' },
    { case: 'a newer schema that recorded no compatibility', db: { version: 8, compatibleFrom: null }, known: 7, action: 'refuse' },
  ])('$action on $case', ({ db, known, action }) => {
    expect(decideSchema(db, known).action).toBe(action);
  });
});

describe('checkSteps', () => {
  it('refuses versions out of order and a compatibleFrom outside 1…version', () => {
    expect(() => checkSteps([{ version: 2 }])).toThrow('versions must be 1, 2, 3');
    expect(() => checkSteps([{ version: 1 }, { version: 2, contract: { compatibleFrom: 3 } }])).toThrow('compatibleFrom 3');
    expect(() => checkSteps([{ version: 1, contract: { compatibleFrom: 0 } }])).toThrow('compatibleFrom 0');
    expect(() => checkSteps(steps)).not.toThrow();
  });
});
