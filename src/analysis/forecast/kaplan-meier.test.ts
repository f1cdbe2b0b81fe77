import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kaplanMeier, reachesZero, survivalAt, survivalUpperBound, type Observation } from './kaplan-meier.js';

const ev = (time: number): Observation => ({ time, event: true });
const cens = (time: number): Observation => ({ time, event: false });

/**
 * Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete observations.
 * J. Am. Stat. Assoc. 53(282), 457–481, §2: N = 8, deaths at 0.8, 3.1, 5.4, 9.2 months, losses
 * at 1.0, 2.7, 7.0, 12.1. Times ×10 here (integer ms in Handoff). Expected values worked by hand:
 * 7/8 = 0.875; ×4/5 (5 at risk at 3.1) = 0.7; ×3/4 = 0.525; ×1/2 = 0.2625.
 */
const kaplanMeier1958 = [ev(8), cens(10), cens(27), ev(31), ev(54), cens(70), ev(92), cens(121)];

/**
 * Freireich et al. (1963), 6-MP arm of the leukaemia remission trial (weeks), as tabulated in
 * Klein & Moeschberger, Survival Analysis (2nd ed., 2003), Table 4.1A, and Kleinbaum & Klein,
 * Survival Analysis: A Self-Learning Text, ch. 2. It has tied events (three at 6) and an event
 * tied with a censoring (6 and 6+, 10 and 10+). Worked by hand: 18/21; ×16/17; ×14/15; ×11/12;
 * ×10/11; ×6/7; ×5/6.
 */
const sixMp = [
  ev(6), ev(6), ev(6), cens(6), ev(7), cens(9), ev(10), cens(10), cens(11), ev(13), ev(16), cens(17), cens(19), cens(20),
  ev(22), ev(23), cens(25), cens(32), cens(32), cens(34), cens(35),
];

describe('kaplanMeier', () => {
  it('reproduces the worked example of Kaplan and Meier (1958)', () => {
    const c = kaplanMeier(kaplanMeier1958);
    expect(c.steps.map((s) => [s.time, s.atRisk, s.events])).toEqual([[8, 8, 1], [31, 5, 1], [54, 4, 1], [92, 2, 1]]);
    expect(c.steps.map((s) => s.survival)).toEqual([0.875, 0.7, 0.525, 0.2625].map((v) => expect.closeTo(v, 12)));
    expect(c.horizon).toBe(121);
  });

  it.each([
    [0, 1], [5, 1], [6, 18 / 21], [7, (18 / 21) * (16 / 17)], [9, 0.806723], [10, 0.752941], [13, 0.690196],
    [16, 0.627451], [21, 0.627451], [22, 0.537815], [23, 0.448179], [35, 0.448179],
  ])('reproduces the 6-MP product-limit table at week %d: S = %f', (t, expected) => {
    expect(survivalAt(kaplanMeier(sixMp), t)).toBeCloseTo(expected, 5);
  });

  it('counts a censoring tied with events as still at risk at that time', () => {
    const c = kaplanMeier(sixMp);
    expect(c.steps[0]).toMatchObject({ time: 6, atRisk: 21, events: 3 });
    expect(c.steps[1]).toMatchObject({ time: 7, atRisk: 17, events: 1 });
    expect(c.steps[2]).toMatchObject({ time: 10, atRisk: 15, events: 1 });
  });

  it('does not speak beyond the longest observation unless the curve reached zero', () => {
    const c = kaplanMeier(sixMp);
    expect(survivalAt(c, 35)).toBeCloseTo(0.448179, 5);
    expect(survivalAt(c, 36)).toBeUndefined();
    expect(survivalUpperBound(c, 36)).toBeCloseTo(0.448179, 5);
    const allEnded = kaplanMeier([ev(1), cens(2), ev(3)]);
    expect(reachesZero(allEnded)).toBe(true);
    expect(survivalAt(allEnded, 1_000)).toBe(0);
  });

  it('is flat at 1 when nothing ended, and refuses negative lengths', () => {
    expect(kaplanMeier([cens(5), cens(9)]).steps).toEqual([]);
    expect(survivalAt(kaplanMeier([]), 0)).toBe(1);
    expect(() => kaplanMeier([ev(-1)])).toThrow(RangeError);
  });
});

const observation = fc.record({ time: fc.integer({ min: 0, max: 200 }), event: fc.boolean() });

describe('kaplanMeier, for any sample', () => {
  it('is non-increasing and stays in [0, 1]', () => {
    fc.assert(fc.property(fc.array(observation, { maxLength: 80 }), (obs) => {
      const c = kaplanMeier(obs);
      let prev = 1;
      for (let t = 0; t <= 201; t++) {
        const s = survivalAt(c, t);
        if (s === undefined) continue;
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(prev);
        prev = s;
      }
    }));
  });

  it('equals the share of lengths longer than t when nothing is censored', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60 }), (times) => {
      const c = kaplanMeier(times.map(ev));
      for (let t = 0; t <= 50; t++) {
        expect(survivalAt(c, t)).toBeCloseTo(times.filter((x) => x > t).length / times.length, 10);
      }
    }));
  });

  it('counts every event once and keeps the risk set consistent', () => {
    fc.assert(fc.property(fc.array(observation, { maxLength: 80 }), (obs) => {
      const c = kaplanMeier(obs);
      expect(c.events).toBe(obs.filter((o) => o.event).length);
      for (const s of c.steps) expect(s.atRisk).toBe(obs.filter((o) => o.time >= s.time).length);
    }));
  });
});
