import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextSweepSlice, startSweep } from './sweep.js';

describe('the sweep in slices', () => {
  it('covers every server of the fleet exactly once per cycle, in slices no larger than asked', () => {
    fc.assert(fc.property(fc.nat({ max: 3_000 }), fc.integer({ min: 1, max: 700 }), (n, size) => {
      const ids = Array.from({ length: n }, (_, i) => `srv_${i}`);
      let cursor = startSweep(ids);
      const seen: string[] = [];
      for (let passes = 0; ; passes++) {
        const step = nextSweepSlice(cursor, size);
        expect(step.slice.length).toBeLessThanOrEqual(size);
        seen.push(...step.slice);
        cursor = step.cursor;
        if (step.done) break;
        expect(step.slice.length).toBe(size);
        expect(passes).toBeLessThan(n);
      }
      expect(seen).toEqual(ids);
    }));
  });

  it.each([
    ['an empty fleet', 0, 5, [[]]],
    ['a fleet smaller than a slice', 3, 5, [['srv_0', 'srv_1', 'srv_2']]],
    ['a fleet of exactly two slices', 4, 2, [['srv_0', 'srv_1'], ['srv_2', 'srv_3']]],
    ['a slice size below one (taken as one)', 2, 0, [['srv_0'], ['srv_1']]],
  ])('%s', (_name, n, size, slices) => {
    let cursor = startSweep(Array.from({ length: n }, (_, i) => `srv_${i}`));
    const got: (readonly string[])[] = [];
    for (;;) {
      const step = nextSweepSlice(cursor, size);
      got.push(step.slice);
      cursor = step.cursor;
      if (step.done) break;
    }
    expect(got).toEqual(slices);
  });
});
