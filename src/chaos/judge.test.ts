import { describe, expect, it } from 'vitest';
import { compare, judgeNow, judgeSpan, measure } from './judge.js';
import type { AllocationSample, Hypothesis, Interruption } from './model.js';

const h = (over: Partial<Hypothesis> = {}): Hypothesis => ({
  minAllocationSuccess: 0.99, maxSessionsInterrupted: 0, maxP99LatencyMs: 100, windowMs: 1000, minSamples: 5, ...over,
});
const ok = (at: number, latencyMs = 10): AllocationSample => ({ at, ok: true, latencyMs, code: null });
const fail = (at: number, code = 'NO_CAPACITY'): AllocationSample => ({ at, ok: false, latencyMs: null, code });
const cut = (at: number): Interruption => ({ at, session: `s${at}`, reason: 'server_crashed' });
const many = (n: number, make: (i: number) => AllocationSample): AllocationSample[] => Array.from({ length: n }, (_, i) => make(i));

describe('measure', () => {
  it('counts only what arrived in the half-open span (from, to]', () => {
    const m = measure([ok(100), ok(200), fail(300), ok(301)], [cut(250), cut(400)], 100, 300);
    expect(m).toMatchObject({ answered: 2, ok: 1, allocationSuccess: 0.5, sessionsInterrupted: 1, errors: { NO_CAPACITY: 1 } });
  });

  it('has no success ratio and no p99 when nothing was answered, rather than numbers that look measured', () => {
    expect(measure([], [], 0, 1000)).toMatchObject({ answered: 0, allocationSuccess: null, p99LatencyMs: null });
  });

  it('takes p99 over successful allocations only, nearest rank', () => {
    const samples = [...many(99, (i) => ok(i + 1, 10)), ok(100, 500), fail(101)];
    expect(measure(samples, [], 0, 1000).p99LatencyMs).toBe(10);
    expect(measure([...samples, ok(102, 600)], [], 0, 1000).p99LatencyMs).toBe(500);
  });
});

describe('compare', () => {
  const base = { answered: 100, ok: 100, allocationSuccess: 1, p99LatencyMs: 20, sessionsInterrupted: 0, errors: {} };
  it.each([
    ['every check within its limit', base, []],
    ['success below the minimum', { ...base, ok: 98, allocationSuccess: 0.98 }, ['allocationSuccess']],
    ['one session interrupted when none may be', { ...base, sessionsInterrupted: 1 }, ['sessionsInterrupted']],
    ['p99 above the limit', { ...base, p99LatencyMs: 101 }, ['p99LatencyMs']],
    ['all three at once', { ...base, allocationSuccess: 0.5, p99LatencyMs: 900, sessionsInterrupted: 3 }, ['allocationSuccess', 'sessionsInterrupted', 'p99LatencyMs']],
    ['too few answers to judge allocations, but an interruption still counts', { ...base, answered: 2, ok: 1, allocationSuccess: 0.5, sessionsInterrupted: 1 }, ['sessionsInterrupted']],
  ])('%s', (_name, m, broken) => {
    const j = compare(h(), m);
    expect(j.holds ? [] : j.breaches.map((b) => b.check)).toEqual(broken);
  });

  it('ignores checks the hypothesis does not state', () => {
    expect(compare(h({ maxP99LatencyMs: null, maxSessionsInterrupted: null }), { ...base, p99LatencyMs: 9e9, sessionsInterrupted: 9 }).holds).toBe(true);
  });

  it('reports what was observed against which limit', () => {
    const j = compare(h(), { ...base, allocationSuccess: 0.5 });
    expect(j.holds ? null : j.breaches).toEqual([{ check: 'allocationSuccess', observed: 0.5, limit: 0.99 }]);
  });
});

describe('judgeNow (while the fault is on)', () => {
  it('looks at allocations of the last window only, so an old failure stops counting', () => {
    const samples = [...many(10, (i) => fail(100 + i)), ...many(10, (i) => ok(2000 + i))];
    expect(judgeNow(h(), samples, [], 0, 1000).holds).toBe(false);
    expect(judgeNow(h(), samples, [], 0, 2500).holds).toBe(true);
  });

  it('never looks before the injection, however long the window', () => {
    const samples = [...many(10, (i) => fail(100 + i)), ...many(10, (i) => ok(600 + i))];
    expect(judgeNow(h({ windowMs: 10_000 }), samples, [], 500, 700).holds).toBe(true);
  });

  it('counts interruptions over everything since the injection, not just the window', () => {
    const j = judgeNow(h(), many(10, (i) => ok(5000 + i)), [cut(600)], 500, 5010);
    expect(j.holds ? [] : j.breaches.map((b) => b.check)).toEqual(['sessionsInterrupted']);
  });
});

describe('judgeSpan (a whole phase)', () => {
  it('judges the baseline as one span', () => {
    const samples = [...many(99, (i) => ok(i + 1)), fail(100)];
    expect(judgeSpan(h(), samples, [], 0, 1000).holds).toBe(true);
    expect(judgeSpan(h({ minAllocationSuccess: 0.995 }), samples, [], 0, 1000).holds).toBe(false);
  });
});
