import { describe, expect, it } from 'vitest';
import { HandoffError } from '../core/errors.js';
import { AnalysisSpecSchema, BuiltInSignals, criteriaOf, signalInfo, validateAnalysis } from './spec.js';

const parse = (v: unknown) => AnalysisSpecSchema.parse(v);
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof HandoffError ? e.code : 'not a HandoffError';
  }
  return undefined;
};

describe('the metric catalogue', () => {
  it('knows the eight built-in signals with their kind and bad direction', () => {
    expect(BuiltInSignals).toEqual([
      'crash_rate', 'abnormal_exit_rate', 'health_failure_rate', 'start_failure_rate', 'abnormal_close_rate', 'session_length_seconds', 'allocation_failure_rate', 'allocation_latency_ms',
    ]);
    expect(signalInfo('crash_rate')).toMatchObject({ kind: 'rate', badDirection: 'increase', builtIn: true });
    expect(signalInfo('session_length_seconds')).toMatchObject({ kind: 'distribution', badDirection: 'decrease' });
    expect(signalInfo('allocation_latency_ms')).toMatchObject({ kind: 'distribution', badDirection: 'increase' });
  });

  it.each(['custom.tick_ms', 'custom.match.errors', 'custom.desyncs_2'])('accepts the game-reported metric %s', (name) => {
    expect(signalInfo(name)).toMatchObject({ builtIn: false, kind: 'distribution', badDirection: 'increase' });
  });

  it.each(['custom.', 'custom.Tick', 'custom.tick ms', 'custom.a/b', 'custom..x', `custom.${'x'.repeat(60)}`, 'tick_ms', 'constructor', 'crash-rate'])('refuses %s', (name) => {
    expect(signalInfo(name)).toBeNull();
  });
});

describe('AnalysisSpecSchema', () => {
  it('fills the defaults', () => {
    expect(parse({ metrics: [{ metric: 'crash_rate', max: 0.05 }] })).toEqual({ windowSeconds: 300, metrics: [{ metric: 'crash_rate', max: 0.05, minSamples: 20 }], prometheus: [] });
    expect(parse({ metrics: [{ metric: 'x', compare: {} }] }).metrics[0]!.compare).toEqual({ alpha: 0.05 });
    expect(parse({ prometheus: [{ name: 'p99', query: 'x', max: 1 }] }).prometheus[0]).toEqual({ name: 'p99', query: 'x', max: 1, timeoutSeconds: 10 });
  });

  it.each([
    ['an empty analysis', {}],
    ['a metric with nothing to judge', { metrics: [{ metric: 'crash_rate' }] }],
    ['min above max', { metrics: [{ metric: 'crash_rate', min: 0.5, max: 0.1 }] }],
    ['a metric named twice', { metrics: [{ metric: 'crash_rate', max: 0.1 }, { metric: 'crash_rate', max: 0.2 }] }],
    ['alpha of 1', { metrics: [{ metric: 'crash_rate', compare: { alpha: 1 } }] }],
    ['a negative effect bound', { metrics: [{ metric: 'crash_rate', compare: { maxEffect: -1 } }] }],
    ['minSamples 0', { metrics: [{ metric: 'crash_rate', max: 1, minSamples: 0 }] }],
    ['an unknown field', { metrics: [{ metric: 'crash_rate', max: 1, maximum: 2 }] }],
    ['a Prometheus query without a threshold', { prometheus: [{ name: 'q', query: 'up' }] }],
    ['a Prometheus address that is not http', { prometheus: [{ name: 'q', query: 'up', max: 1, address: 'file:///etc' }] }],
    ['a window of 1 second', { windowSeconds: 1, metrics: [{ metric: 'crash_rate', max: 1 }] }],
  ])('refuses %s', (_, value) => {
    expect(AnalysisSpecSchema.safeParse(value).success).toBe(false);
  });

  it('accepts a webhook alone', () => {
    expect(parse({ webhook: { url: 'http://127.0.0.1:9/gate' } }).webhook).toEqual({ url: 'http://127.0.0.1:9/gate', timeoutSeconds: 10 });
  });
});

describe('validateAnalysis and criteriaOf', () => {
  it('refuses an unknown metric with ANALYSIS_UNKNOWN_METRIC, naming it and the closest built-in', () => {
    const spec = parse({ metrics: [{ metric: 'crash_rate', max: 0.1 }, { metric: 'crash_rat', max: 0.1 }] });
    expect(codeOf(() => validateAnalysis(spec))).toBe('ANALYSIS_UNKNOWN_METRIC');
    expect(codeOf(() => criteriaOf(spec))).toBe('ANALYSIS_UNKNOWN_METRIC');
    try {
      validateAnalysis(spec);
    } catch (e) {
      expect((e as HandoffError).status).toBe(422);
      expect((e as HandoffError).details).toMatchObject({ metric: 'crash_rat', path: 'metrics[1].metric', suggestion: 'crash_rate' });
      expect((e as HandoffError).message).toMatch(/did you mean crash_rate\?/);
    }
  });

  it('fills compare: auto from the catalogue', () => {
    const spec = parse({
      metrics: [
        { metric: 'session_length_seconds', compare: 'auto' },
        { metric: 'crash_rate', max: 0.05, compare: { alpha: 0.01 }, minSamples: 50 },
        { metric: 'custom.tick_ms', max: 33, compare: { badDirection: 'increase', maxEffect: 0.2 } },
      ],
    });
    expect(criteriaOf(spec)).toEqual([
      { metric: 'session_length_seconds', max: null, min: null, compare: { badDirection: 'decrease', alpha: 0.05, maxEffect: 0.1 }, minSamples: 20 },
      { metric: 'crash_rate', max: 0.05, min: null, compare: { badDirection: 'increase', alpha: 0.01, maxEffect: 0.01 }, minSamples: 50 },
      { metric: 'custom.tick_ms', max: 33, min: null, compare: { badDirection: 'increase', alpha: 0.05, maxEffect: 0.2 }, minSamples: 20 },
    ]);
  });

  it('leaves compare off when the operator did not ask for it', () => {
    expect(criteriaOf(parse({ metrics: [{ metric: 'crash_rate', max: 0.05 }] }))[0]!.compare).toBeNull();
  });
});
