import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rolling } from './index.js';
import { resolveBudget, rollingOptions, rollingSize } from './spec.js';

describe('rolling budgets', () => {
  it.each([
    // size, maxSurge, maxUnavailable → surge, unavailable, batch size, batches
    [4, 0, 1, 0, 1, 1, 4],
    [4, 1, 0, 1, 0, 1, 4],
    [4, 1, 1, 1, 1, 2, 2],
    [4, '25%', '25%', 1, 1, 2, 2],
    [5, '10%', 0, 1, 0, 1, 5], // surge rounds up
    [5, 0, '30%', 0, 1, 1, 5], // unavailability rounds down
    [3, 0, '10%', 0, 1, 1, 3], // both round to 0: one server at a time
    [3, 0, 10, 0, 3, 3, 1], // never more out of rotation than the fleet has
    [3, 5, 0, 5, 0, 3, 1],
    [6, '50%', '50%', 3, 3, 6, 1],
  ] as const)('a fleet of %i with maxSurge %s and maxUnavailable %s: surge %i, unavailable %i, %i per batch, %i batches', (size, maxSurge, maxUnavailable, surge, unavailable, batchSize, batches) => {
    expect(resolveBudget({ maxSurge, maxUnavailable }, size)).toEqual({ surge, unavailable, batchSize, batches });
  });

  it.each([
    [{ minServers: 2, maxServers: 2 }, 2, 2],
    [{ minServers: 2, maxServers: 8 }, 5, 5],
    [{ minServers: 3, maxServers: 8 }, 1, 3],
    [{ minServers: 0, maxServers: 8 }, 0, 1],
    [{ minServers: 2, maxServers: 4 }, 6, 4],
  ])('a fleet %o running %i old servers is rolled as %i servers', (capacity, running, size) => {
    expect(rollingSize(capacity, running)).toBe(size);
  });

  it.each([
    [0, 0], ['0%', 0], [0, '0%'], ['0%', '0%'],
  ])('refuses maxSurge %s with maxUnavailable %s as ROLLOUT_NO_PROGRESS', (maxSurge, maxUnavailable) => {
    const spec = { strategy: 'rolling' as const, maxSurge, maxUnavailable, smoke: null, batchReadyTimeoutSeconds: 60, maxStartFailures: 3, drain: null };
    expect(() => rolling.validate(spec, 0)).toThrow(expect.objectContaining({ code: 'ROLLOUT_NO_PROGRESS' }));
  });

  const options = z.strictObject(rollingOptions);
  it('defaults to one server at a time and no extra server', () => {
    expect(options.parse({})).toEqual({ analysis: null, maxSurge: 0, maxUnavailable: 1, smoke: null, batchReadyTimeoutSeconds: 300, maxStartFailures: 3, drain: null });
  });

  it.each([['-1'], ['101%'], ['25'], ['2.5%'], [-1], [1.5], ['%']])('refuses the budget %j', (value) => {
    expect(options.safeParse({ maxSurge: value }).success).toBe(false);
  });
});
