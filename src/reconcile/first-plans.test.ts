import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseFirstPlans, type WaitingFleet } from './first-plans.js';

const w = (fleet: string, servers: number, since = 0): WaitingFleet => ({ fleet, servers, since });

describe('chooseFirstPlans', () => {
  it('plans every waiting fleet when together they fit the budget', () => {
    expect(chooseFirstPlans([w('a', 10), w('b', 20)], 100)).toEqual(new Set(['a', 'b']));
  });

  it('plans the longest-waiting fleets first and leaves the rest for a later pass', () => {
    const waiting = [w('new', 6_000, 5), w('old', 6_000, 1), w('older', 6_000, 0)];
    expect(chooseFirstPlans(waiting, 12_000)).toEqual(new Set(['older', 'old']));
  });

  it('always plans one fleet, even one larger than the budget', () => {
    expect(chooseFirstPlans([w('huge', 100_000)], 20_000)).toEqual(new Set(['huge']));
  });

  it('fills the budget with smaller fleets that still fit after a large one is left waiting', () => {
    expect(chooseFirstPlans([w('a', 15_000, 0), w('b', 10_000, 1), w('c', 5_000, 2)], 20_000)).toEqual(new Set(['a', 'c']));
  });

  it('plans nothing when nothing waits', () => {
    expect(chooseFirstPlans([], 20_000).size).toBe(0);
  });

  it('never exceeds the budget beyond its first fleet, and every fleet is planned within as many passes as there are fleets', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 40_000 }), (sizes, budget) => {
      let waiting = sizes.map((n, i) => w(`f${i}`, n, i));
      for (let pass = 0; waiting.length > 0; pass++) {
        expect(pass).toBeLessThan(sizes.length);
        const chosen = chooseFirstPlans(waiting, budget);
        expect(chosen.size).toBeGreaterThan(0);
        const planned = waiting.filter((x) => chosen.has(x.fleet));
        const total = planned.reduce((s, x) => s + x.servers, 0);
        if (planned.length > 1) expect(total).toBeLessThanOrEqual(budget);
        // The longest-waiting fleet is always among them: no fleet waits for ever.
        expect(chosen.has(waiting[0]?.fleet ?? '')).toBe(true);
        waiting = waiting.filter((x) => !chosen.has(x.fleet));
      }
    }));
  });
});
