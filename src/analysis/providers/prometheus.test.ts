import { describe, expect, it } from 'vitest';
import { judgePrometheus, parseAnswer, type PrometheusOutcome } from './prometheus.js';

const A = 'http://127.0.0.1:9090';
const ok = (data: unknown) => JSON.stringify({ status: 'success', data });

describe('parseAnswer (the Prometheus HTTP API answer format)', () => {
  it.each<[string, number, string, PrometheusOutcome | RegExp]>([
    ['a vector with one sample', 200, ok({ resultType: 'vector', result: [{ metric: {}, value: [1700000000.1, '0.25'] }] }), { kind: 'value', value: 0.25 }],
    ['a scalar', 200, ok({ resultType: 'scalar', result: [1700000000, '42'] }), { kind: 'value', value: 42 }],
    ['an empty vector', 200, ok({ resultType: 'vector', result: [] }), { kind: 'empty' }],
    ['several series', 200, ok({ resultType: 'vector', result: [{ value: [1, '1'] }, { value: [1, '2'] }] }), /returned 2 series; it must return one/],
    ['a matrix', 200, ok({ resultType: 'matrix', result: [] }), /returned a matrix/],
    ['NaN', 200, ok({ resultType: 'scalar', result: [1, 'NaN'] }), /value is NaN/],
    ['+Inf', 200, ok({ resultType: 'vector', result: [{ value: [1, '+Inf'] }] }), /value is \+Inf/],
    ['an error answer', 400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: '1:5: parse error: unclosed left parenthesis' }), /answered 400 bad_data: 1:5: parse error/],
    ['HTML from a proxy', 502, '<html>Bad Gateway</html>', /answered 502 with something other than JSON/],
  ])('reads %s', (_, status, text, expected) => {
    const out = parseAnswer(A, status, text);
    if (expected instanceof RegExp) {
      expect(out.kind).toBe('error');
      expect(out.kind === 'error' && out.reason).toMatch(expected);
    } else {
      expect(out).toEqual(expected);
    }
  });
});

describe('judgePrometheus', () => {
  const q = { name: 'error_ratio', query: 'sum(rate(errors[5m])) / sum(rate(requests[5m]))', max: 0.01 };

  it.each<[string, PrometheusOutcome, object, 'pass' | 'fail' | 'inconclusive', RegExp]>([
    ['a value under the maximum passes', { kind: 'value', value: 0.004 }, q, 'pass', /prometheus\.error_ratio is 0\.004, within its maximum 0\.01 \(`sum\(rate/],
    ['a value over the maximum fails', { kind: 'value', value: 0.02 }, q, 'fail', /is 0\.02, above the maximum 0\.01/],
    ['a value under the minimum fails', { kind: 'value', value: 3 }, { ...q, max: undefined, min: 5 }, 'fail', /is 3, below the minimum 5/],
    ['no data is inconclusive, not a pass', { kind: 'empty' }, q, 'inconclusive', /returned no data/],
    ['an error is inconclusive with its reason', { kind: 'error', reason: 'Prometheus at x could not be queried: fetch failed (connect ECONNREFUSED)' }, q, 'inconclusive', /ECONNREFUSED/],
  ])('%s', (_, outcome, query, verdict, reason) => {
    const r = judgePrometheus(query as typeof q, outcome);
    expect(r.metric).toBe('prometheus.error_ratio');
    expect(r.verdict).toBe(verdict);
    expect(r.reason).toMatch(reason);
  });

  it('records the value as the canary figure', () => {
    expect(judgePrometheus(q, { kind: 'value', value: 0.004 })).toMatchObject({ canary: { n: 1, value: 0.004 }, baseline: { n: 0, value: null }, test: null });
    expect(judgePrometheus(q, { kind: 'empty' })).toMatchObject({ canary: { n: 0, value: null } });
  });
});
