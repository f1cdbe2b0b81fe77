import { describe, expect, it } from 'vitest';
import { withBuilds } from './actions.js';

describe('withBuilds', () => {
  const names = { $build: 'v2', $current: 'v1' };

  it('puts the released and the current build where a row names them, however deep', () => {
    const request = { strategy: 'ab-test', variants: [{ name: 'A', build: '$current', weight: 50 }, { name: 'B', build: '$build', weight: 50 }], oldIdleSeconds: 30 };
    expect(withBuilds(request, names)).toEqual({
      strategy: 'ab-test', variants: [{ name: 'A', build: 'v1', weight: 50 }, { name: 'B', build: 'v2', weight: 50 }], oldIdleSeconds: 30,
    });
  });

  it('leaves every other string, number, boolean and null as it is, and the row itself untouched', () => {
    const request = { strategy: 'canary', note: '$builds', steps: [{ setWeight: 25 }], cohort: null, flag: true };
    const copy = structuredClone(request);
    expect(withBuilds(request, names)).toEqual(copy);
    expect(request).toEqual(copy);
  });
});
