import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadlineRisk, drainModel, forecastDrain, type DrainForecast, type Quantile } from './drain.js';
import type { Observation } from './kaplan-meier.js';
import type { Sample } from './sample.js';

const now = 1_000_000;
const sampleOf = (observations: Observation[]): Sample => ({
  observations, closed: observations.length, events: observations.filter((o) => o.event).length, open: 0, openedAfter: null,
});
const ev = (time: number): Observation => ({ time, event: true });
const cens = (time: number): Observation => ({ time, event: false });
/** Open sessions of the draining build, by age. */
const model = (obs: Observation[], ages: number[]) => drainModel(sampleOf(obs), ages.map((a) => now - a), now);
const at = (t: number): Quantile => ({ at: now + t, laterThan: null });
const laterThan = (t: number): Quantile => ({ at: null, laterThan: now + t });

/** Kaplan & Meier (1958) §2, times ×10; see kaplan-meier.test.ts. S: 0.875 @8, 0.7 @31, 0.525 @54, 0.2625 @92; horizon 121. */
const km1958 = [ev(8), cens(10), cens(27), ev(31), ev(54), cens(70), ev(92), cens(121)];
/** The 6-MP arm (Freireich et al. 1963; Klein & Moeschberger Table 4.1A). S(6)=.857, S(10)=.753, S(13)=.690, S(16)=.627, S(23)=.448; horizon 35. */
const sixMp = [
  ev(6), ev(6), ev(6), cens(6), ev(7), cens(9), ev(10), cens(10), cens(11), ev(13), ev(16), cens(17), cens(19), cens(20),
  ev(22), ev(23), cens(25), cens(32), cens(32), cens(34), cens(35),
];
/** Twenty sessions ending at 1, 2, …, 20: S(t) = (20 − t) / 20, reaching 0 at 20. */
const uniform = Array.from({ length: 20 }, (_, i) => ev(i + 1));
const textbook = { minEvents: 1, warnProbability: 0.05 };

describe('forecastDrain', () => {
  it.each<[string, Observation[], number[], Quantile, Quantile, Quantile]>([
    // One fresh session: the percentiles of S itself. 6-MP: S ≤ .9 first at 6, ≤ .5 at 23, never ≤ .1.
    ['one fresh session, 6-MP', sixMp, [0], at(6), at(23), laterThan(35)],
    // Age 10: S(10+t)/S(10) ≤ .9 ⇔ S ≤ .6776, first at 16 (t = 6); ≤ .5 never within the 25 left.
    ['one session aged 10, 6-MP', sixMp, [10], at(6), laterThan(25), laterThan(25)],
    ['one fresh session, Kaplan–Meier 1958', km1958, [0], at(8), at(92), laterThan(121)],
    // Two fresh sessions: F = (1 − S)²; ≥ .1 ⇔ S ≤ .684 (at 54), ≥ .5 ⇔ S ≤ .293 (at 92).
    ['two fresh sessions, Kaplan–Meier 1958', km1958, [0, 0], at(54), at(92), laterThan(121)],
    ['one fresh session, uniform lengths', uniform, [0], at(2), at(10), at(18)],
    // Ages 0 and 15: F(t) = (t/20)(t/5) for t ≤ 5, then t/20.
    ['sessions aged 0 and 15, uniform lengths', uniform, [0, 15], at(4), at(10), at(18)],
    ['a session older than any observed length', uniform, [0, 25], laterThan(0), laterThan(0), laterThan(0)],
  ])('forecasts %s', (_name, obs, ages, p10, p50, p90) => {
    expect(forecastDrain(model(obs, ages), textbook).emptyAt).toEqual({ p10, p50, p90 });
  });

  it('says so when later percentiles lie beyond the observed lengths, instead of inventing them', () => {
    const f = forecastDrain(model(sixMp, [0]), textbook);
    expect(f.status).toBe('ok');
    expect(f.reason).toMatch(/do not last long enough/);
    expect(forecastDrain(model(uniform, [0, 25]), textbook).reason).toMatch(/older than/);
  });

  it('answers insufficient data below the minimum number of observed ends', () => {
    const f = forecastDrain(model(uniform.slice(1), [3]));
    expect(f).toMatchObject({ status: 'insufficient-data', emptyAt: null, openSessions: 1 });
    expect(f.reason).toMatch(/19 observed session ends; at least 20/);
    expect(forecastDrain(model(uniform, [3])).status).toBe('ok');
  });

  it('reports a build without open sessions as empty now, whatever the data', () => {
    expect(forecastDrain(model([], []))).toMatchObject({ status: 'empty', openSessions: 0, emptyAt: { p50: at(0) } });
  });
});

describe('deadlineRisk', () => {
  it.each<[string, number, number, number]>([
    // Ages 0 and 15 on uniform lengths, deadline 4 ahead: S(4) = .8, S(19)/S(15) = .2.
    ['4 ahead', 4, 1.0, 1 - 0.2 * 0.8],
    ['after the longest observed length', 25, 0, 0],
    ['in the past: every open session would be cut', -10, 2, 1],
  ])('estimates what a deadline %s would cut', (_name, d, expectedOpen, probabilityAnyCut) => {
    const r = deadlineRisk(model(uniform, [0, 15]), now + d, textbook);
    expect(r.expectedOpen).toBeCloseTo(expectedOpen, 10);
    expect(r.probabilityAnyCut).toBeCloseTo(probabilityAnyCut, 10);
    expect(r.warn).toBe(probabilityAnyCut >= 0.05);
    expect(r.extrapolated).toBe(0);
  });

  it('assumes sessions survive past the data at the last known value, so it errs towards warning', () => {
    const r = deadlineRisk(model(sixMp, [30, 40]), now + 10, textbook);
    expect(r).toMatchObject({ expectedOpen: 2, probabilityAnyCut: 1, extrapolated: 2, warn: true });
  });

  it('warns without numbers when data is thin and sessions are open', () => {
    expect(deadlineRisk(model(uniform.slice(1), [1]), now + 100)).toMatchObject({ expectedOpen: null, probabilityAnyCut: null, warn: true });
    expect(deadlineRisk(model(uniform.slice(1), []), now + 100)).toMatchObject({ expectedOpen: 0, probabilityAnyCut: 0, warn: false });
  });
});

const obsArb = fc.array(fc.record({ time: fc.integer({ min: 0, max: 100 }), event: fc.boolean() }), { minLength: 1, maxLength: 60 });
const agesArb = fc.array(fc.integer({ min: 0, max: 110 }), { minLength: 1, maxLength: 6 });
/** A quantile as a number: open-ended is +∞ (later than anything known). */
const value = (q: Quantile): number => q.at ?? Infinity;
const quantiles = (f: DrainForecast): number[] => (f.emptyAt ? [f.emptyAt.p10, f.emptyAt.p50, f.emptyAt.p90].map(value) : []);

describe('the drain forecast, for any sample and open sessions', () => {
  it('orders its percentiles and never places the end before now', () => {
    fc.assert(fc.property(obsArb, agesArb, (obs, ages) => {
      const qs = quantiles(forecastDrain(model(obs, ages), textbook));
      for (let i = 0; i < qs.length; i++) {
        expect(qs[i]).toBeGreaterThan(now - 1);
        if (i > 0) expect(qs[i]).toBeGreaterThanOrEqual(qs[i - 1] as number);
      }
    }));
  });

  it('never forecasts an earlier end when one more session is open', () => {
    fc.assert(fc.property(obsArb, agesArb, fc.integer({ min: 0, max: 110 }), (obs, ages, extra) => {
      const before = quantiles(forecastDrain(model(obs, ages), textbook));
      const after = quantiles(forecastDrain(model(obs, [...ages, extra]), textbook));
      after.forEach((q, i) => expect(q).toBeGreaterThanOrEqual(before[i] as number));
    }));
  });

  it('agrees with the deadline estimate: a deadline at the p-quantile cuts something with probability at most 1 − p', () => {
    fc.assert(fc.property(obsArb, agesArb, (obs, ages) => {
      const m = model(obs, ages);
      const f = forecastDrain(m, textbook);
      for (const [p, q] of [[0.1, f.emptyAt?.p10], [0.5, f.emptyAt?.p50], [0.9, f.emptyAt?.p90]] as const) {
        if (q?.at == null) continue;
        expect(deadlineRisk(m, q.at, textbook).probabilityAnyCut).toBeLessThanOrEqual(1 - p + 1e-9);
        // …and it is the first such moment.
        expect(deadlineRisk(m, q.at - 1, textbook).probabilityAnyCut).toBeGreaterThan(1 - p - 1e-9);
      }
    }));
  });

  it('expects fewer sessions open, and fewer cuts, the later the deadline', () => {
    fc.assert(fc.property(obsArb, agesArb, fc.integer({ min: -10, max: 150 }), fc.integer({ min: 0, max: 50 }), (obs, ages, d, later) => {
      const m = model(obs, ages);
      const a = deadlineRisk(m, now + d, textbook);
      const b = deadlineRisk(m, now + d + later, textbook);
      const [ea, eb, pa, pb] = [a.expectedOpen, b.expectedOpen, a.probabilityAnyCut, b.probabilityAnyCut].map(Number) as [number, number, number, number];
      expect(eb).toBeLessThanOrEqual(ea + 1e-9);
      expect(pb).toBeLessThanOrEqual(pa + 1e-9);
      expect(ea).toBeLessThanOrEqual(ages.length + 1e-9);
      expect(pa).toBeGreaterThanOrEqual(0);
      expect(pa).toBeLessThanOrEqual(1);
    }));
  });
});
