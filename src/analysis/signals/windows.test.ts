import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Observation } from './model.js';
import { DefaultWindowOptions, SignalWindows } from './windows.js';

const opts = { ...DefaultWindowOptions, bucketMs: 1_000, retentionMs: 60_000, reservoir: 4, maxSamples: 100, maxUnits: 3, maxMetrics: 3 };
const rate = (metric: string, at: number, events: number, trials: number, unit?: string): Observation =>
  unit === undefined ? { metric, at, kind: 'rate', events, trials } : { metric, at, kind: 'rate', events, trials, unit };
const value = (metric: string, at: number, v: number): Observation => ({ metric, at, kind: 'value', value: v });

describe('signal windows', () => {
  it.each([
    ['events and trials add up over the window', [rate('abnormal_close_rate', 100, 1, 1), rate('abnormal_close_rate', 1_500, 0, 1), rate('abnormal_close_rate', 2_500, 1, 1)], 0, 3_000, { events: 2, trials: 3 }],
    ['buckets outside the window are left out', [rate('abnormal_close_rate', 100, 1, 1), rate('abnormal_close_rate', 5_000, 1, 1)], 1_000, 3_000, { events: 0, trials: 0 }],
    ['a bucket overlapping the window counts whole (edges are accurate to a bucket)', [rate('abnormal_close_rate', 900, 1, 1)], 500, 600, { events: 1, trials: 1 }],
    ['a server seen twice is one trial', [rate('crash_rate', 100, 0, 0, 's1'), rate('crash_rate', 1_100, 1, 0, 's1'), rate('crash_rate', 1_200, 0, 0, 's2')], 0, 3_000, { events: 1, trials: 2 }],
  ])('%s', (_name, observations, since, until, expected) => {
    const w = new SignalWindows(opts);
    for (const o of observations) w.record('f', 'b', o);
    expect(w.read('f', 'b', observations[0]?.metric ?? '', since, until)).toEqual(expected);
  });

  it('counts live servers as trials of a per-server rate even when they had no event in the window', () => {
    const w = new SignalWindows(opts);
    w.record('f', 'b', rate('crash_rate', 100, 1, 0, 's1'));
    expect(w.read('f', 'b', 'crash_rate', 0, 1_000, ['s1', 's2', 's3'])).toEqual({ events: 1, trials: 3 });
  });

  it('keeps builds and fleets apart', () => {
    const w = new SignalWindows(opts);
    w.record('f', 'v1', rate('abnormal_close_rate', 100, 1, 1));
    w.record('g', 'v2', rate('abnormal_close_rate', 100, 1, 1));
    expect(w.read('f', 'v2', 'abnormal_close_rate', 0, 1_000)).toEqual({ events: 0, trials: 0 });
    expect(w.compare('f', 'abnormal_close_rate', { canary: 'v2', baseline: 'v1' }, 0, 1_000)).toEqual({
      kind: 'rate', canary: { events: 0, trials: 0 }, baseline: { events: 1, trials: 1 },
    });
  });

  it('returns the values of a distribution, and nothing for a custom metric nobody reported', () => {
    const w = new SignalWindows(opts);
    for (const v of [1, 2, 3]) w.record('f', 'b', value('custom.tick_ms', 100, v));
    expect(w.compare('f', 'custom.tick_ms', { canary: 'b', baseline: 'a' }, 0, 1_000)).toEqual({ kind: 'distribution', canary: [1, 2, 3], baseline: [] });
    expect(w.compare('f', 'custom.nothing', { canary: 'b', baseline: 'a' }, 0, 1_000)).toBeUndefined();
  });

  it('sums a counter per session and bucket', () => {
    const w = new SignalWindows(opts);
    w.record('f', 'b', { metric: 'custom.desyncs', at: 100, kind: 'count', unit: 'ses1', value: 2 });
    w.record('f', 'b', { metric: 'custom.desyncs', at: 200, kind: 'count', unit: 'ses1', value: 3 });
    w.record('f', 'b', { metric: 'custom.desyncs', at: 300, kind: 'count', unit: 'ses2', value: 1 });
    w.record('f', 'b', { metric: 'custom.desyncs', at: 1_300, kind: 'count', unit: 'ses1', value: 1 });
    expect(w.read('f', 'b', 'custom.desyncs', 0, 2_000)).toEqual([5, 1, 1]);
  });

  it('forgets buckets older than the retention', () => {
    const w = new SignalWindows(opts);
    w.record('f', 'b', rate('abnormal_close_rate', 100, 1, 1));
    w.record('f', 'b', rate('abnormal_close_rate', 120_000, 0, 1));
    expect(w.read('f', 'b', 'abnormal_close_rate', 0, 200_000)).toEqual({ events: 0, trials: 1 });
  });

  it('refuses metric names beyond the cap per build and counts them as dropped', () => {
    const w = new SignalWindows(opts);
    for (const name of ['custom.a', 'custom.b', 'custom.c', 'custom.d']) w.record('f', 'b', value(name, 100, 1));
    expect(w.metricsOf('f', 'b')).toEqual(['custom.a', 'custom.b', 'custom.c']);
    expect(w.dropped).toBe(1);
  });

  it('keeps memory bounded: at most `reservoir` values per bucket and `maxUnits` units, whatever is reported', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 50 })), { maxLength: 300 }), (reports) => {
        const w = new SignalWindows(opts, () => 0.5);
        for (const [at, v, unit] of reports) {
          w.record('f', 'b', value('custom.x', at, v));
          w.record('f', 'b', rate('crash_rate', at, 0, 0, `s${unit}`));
        }
        const buckets = new Set(reports.map(([at]) => Math.floor(at / 1_000))).size;
        expect(((w.read('f', 'b', 'custom.x', 0, 10_000) as number[] | undefined) ?? []).length).toBeLessThanOrEqual(buckets * opts.reservoir);
        expect((w.read('f', 'b', 'crash_rate', 0, 10_000) as { trials: number }).trials).toBeLessThanOrEqual(buckets * opts.maxUnits);
      }),
    );
  });

  it('merges buckets in proportion to what each saw', () => {
    const w = new SignalWindows({ ...opts, reservoir: 10, maxSamples: 20 }, () => 0.99);
    for (let i = 0; i < 100; i++) w.record('f', 'b', value('custom.x', 100, 1));
    for (let i = 0; i < 10; i++) w.record('f', 'b', value('custom.x', 1_100, 2));
    const xs = w.read('f', 'b', 'custom.x', 0, 2_000) as number[];
    expect(xs.filter((x) => x === 1).length).toBeGreaterThan(xs.filter((x) => x === 2).length);
  });

  it('ignores non-finite values', () => {
    const w = new SignalWindows(opts);
    w.record('f', 'b', value('custom.x', 100, Number.NaN));
    expect(w.read('f', 'b', 'custom.x', 0, 1_000)).toBeUndefined();
  });
});
