import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { perSecond, recoveredAfterMs, windows } from './overload-stats.js';

/** Requests every 10 ms for `ms`; `latency(t)` gives each one's latency (NaN = failed). */
function traffic(ms: number, latency: (t: number) => number): { sentAt: Float64Array; latency: Float64Array } {
  const sentAt = Float64Array.from({ length: ms / 10 }, (_, i) => i * 10);
  return { sentAt, latency: sentAt.map(latency) };
}

describe('recoveredAfterMs', () => {
  it.each<[string, number | null, (t: number) => number]>([
    ['fast from the first request', 0, () => 5],
    ['failing for the first 300 ms', 300, (t) => (t < 300 ? NaN : 5)],
    ['slow until 1,250 ms (recovery is found in 100 ms steps)', 1_300, (t) => (t < 1_250 ? 500 : 5)],
    ['one slow answer in a hundred within the normal p99', 0, (t) => (t % 1_000 === 0 ? 500 : 5)],
    ['a failure every 500 ms: no clean second', null, (t) => (t % 500 === 0 ? NaN : 5)],
    ['slow until 4,100 ms: no whole second left in 5 s of traffic', null, (t) => (t < 4_100 ? 500 : 5)],
  ])('traffic %s recovers at %s ms (null: not at all)', (_name, expected, latency) => {
    const t = traffic(5_000, latency);
    expect(recoveredAfterMs(t.sentAt, t.latency, { normalMs: 20, trafficMs: 5_000 })).toBe(expected);
  });

  it('never counts a stretch that holds a failed request as recovered', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 499 }), { maxLength: 20 }), (failed) => {
      const t = traffic(5_000, (ms) => (failed.includes(ms / 10) ? NaN : 5));
      const at = recoveredAfterMs(t.sentAt, t.latency, { normalMs: 20, trafficMs: 5_000 });
      const last = Math.max(-1, ...failed.map((i) => i * 10));
      const inSpan = failed.filter((i) => at !== null && i * 10 >= at && i * 10 < at + 1_000);
      expect(inSpan).toEqual([]);
      // With every failure before 4 s, a clean second always follows the last one.
      if (last < 4_000) expect(at).not.toBeNull();
    }));
  });
});

describe('windows', () => {
  it('counts requests and successes by 100 ms of scheduled send time', () => {
    const t = traffic(300, (ms) => (ms < 100 ? NaN : ms));
    expect(windows(t.sentAt, t.latency, 100, 4)).toEqual([
      { atMs: 0, sent: 10, ok: 0, p99Ms: null },
      { atMs: 100, sent: 10, ok: 10, p99Ms: 190 },
      { atMs: 200, sent: 10, ok: 10, p99Ms: 290 },
      { atMs: 300, sent: 0, ok: 0, p99Ms: null },
    ]);
  });
});

describe('perSecond', () => {
  it('groups answers by the second they arrived in', () => {
    const f = (...v: number[]): Float64Array => Float64Array.from(v);
    expect(perSecond(f(10, 900, 1_500), f(3, 7, 40), f(2_100), f(50))).toEqual([
      { s: 0, accepted: 2, shed: 0, other: 1, acceptedP99Ms: 7 },
      { s: 1, accepted: 1, shed: 0, other: 0, acceptedP99Ms: 40 },
      { s: 2, accepted: 0, shed: 1, other: 0, acceptedP99Ms: null },
    ]);
  });
});
