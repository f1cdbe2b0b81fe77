import { describe, expect, it } from 'vitest';
import { percentile, renderLoadtest, summarizeLoadtest, type LoadtestSamples } from './report.js';

const samples = (over: Partial<LoadtestSamples> = {}): LoadtestSamples => ({
  ratePerS: 100, durationMs: 2_000, urls: ['http://a:7350'], scheduled: 200, sent: 200,
  okLatenciesMs: [], errors: {}, elapsedMs: 2_000, maxSendLagMs: 0.4, ...over,
});

describe('percentile', () => {
  it.each([
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.1, 1],
    [[7], 0.999, 7],
    [[1, 2], 0, 1],
  ])('takes the nearest rank of %j at %d', (xs, q, want) => {
    expect(percentile(xs, q)).toBe(want);
  });

  it('is NaN for no samples rather than a number that looks measured', () => {
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('summarizeLoadtest', () => {
  it('sorts the latencies itself and reports p50, p99, p99.9 and max of the successful allocations', () => {
    const lat = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000..1 ms, unsorted
    const r = summarizeLoadtest(samples({ okLatenciesMs: lat, scheduled: 1000, sent: 1000 }));
    expect(r.latencyMs).toEqual({ p50: 500, p99: 990, p999: 999, max: 1000 });
    expect(r.ok).toBe(1000);
  });

  it('divides allocations by the whole run, so answers arriving after the schedule lower the rate', () => {
    expect(summarizeLoadtest(samples({ okLatenciesMs: new Array(200).fill(1), elapsedMs: 2_000 })).allocationsPerS).toBe(100);
    expect(summarizeLoadtest(samples({ okLatenciesMs: new Array(200).fill(1), elapsedMs: 4_000 })).allocationsPerS).toBe(50);
  });

  it('counts failures by code, most frequent first', () => {
    const r = summarizeLoadtest(samples({ okLatenciesMs: [1], errors: { ECONNREFUSED: 3, NO_CAPACITY: 9, HTTP_502: 3 } }));
    expect(Object.entries(r.errors)).toEqual([['NO_CAPACITY', 9], ['ECONNREFUSED', 3], ['HTTP_502', 3]]);
    expect(r.failed).toBe(15);
  });

  it('has no latency when nothing succeeded', () => {
    expect(summarizeLoadtest(samples({ errors: { ECONNREFUSED: 200 } })).latencyMs).toBeNull();
  });
});

describe('renderLoadtest', () => {
  it('prints the rate, the percentiles and the errors by code', () => {
    const text = renderLoadtest(summarizeLoadtest(samples({ okLatenciesMs: [2, 4], errors: { NO_CAPACITY: 1 }, elapsedMs: 1_000 })));
    expect(text).toContain('offered      100/s for 2 s, open loop (200 of 200 requests sent)');
    expect(text).toContain('allocations  2 ok, 1 failed; 2/s');
    expect(text).toContain('p50 2 ms  p99 4 ms  p99.9 4 ms  max 4 ms');
    expect(text).toContain('errors       NO_CAPACITY 1');
    expect(text).not.toContain('warning');
  });

  it('warns when the generator itself fell behind its schedule', () => {
    expect(renderLoadtest(summarizeLoadtest(samples({ maxSendLagMs: 40 })))).toContain('fell up to 40 ms behind');
  });
});
