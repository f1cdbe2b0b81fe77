import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { HandoffError } from '../core/errors.js';
import { compileExperiment } from './spec.js';

const valid = {
  kind: 'ChaosExperiment', name: 'kill-a-third', duration: '30s',
  load: { fleet: 'arena', rate: 50 },
  hypothesis: { minAllocationSuccess: '99.9%', maxSessionsInterrupted: 0, maxP99LatencyMs: 250 },
  fault: { type: 'kill-servers', fleet: 'arena', percent: 33 },
};

function codeOf(doc: unknown): { code: string; field: unknown } | null {
  try {
    compileExperiment(doc);
    return null;
  } catch (e) {
    if (!(e instanceof HandoffError)) throw e;
    return { code: e.code, field: e.details?.field };
  }
}

describe('compileExperiment', () => {
  it('fills defaults and turns durations and percentages into numbers', () => {
    expect(compileExperiment(valid)).toEqual({
      name: 'kill-a-third', description: '',
      hypothesis: { minAllocationSuccess: 0.999, maxSessionsInterrupted: 0, maxP99LatencyMs: 250, windowMs: 1000, minSamples: 5 },
      load: { fleet: 'arena', ratePerS: 50, timeoutMs: 2000 },
      fault: { type: 'kill-servers', radius: { fleet: 'arena', percent: 33 }, signal: 'SIGKILL' },
      warmupMs: 500, baselineMs: 2000, durationMs: 30_000, afterMs: 2000,
    });
  });

  it.each([
    ['db-proxy', { type: 'db-proxy', control: 'http://127.0.0.1:7460', latency: '300ms' }, { type: 'db-proxy', control: 'http://127.0.0.1:7460', latencyMs: 300, drop: false }],
    ['kill-replica', { type: 'kill-replica', pids: { a: 10, b: 11 } }, { type: 'kill-replica', target: 'leader', pids: { a: 10, b: 11 }, signal: 'SIGKILL' }],
    ['fill-disk', { type: 'fill-disk', path: '/srv/game/data' }, { type: 'fill-disk', path: '/srv/game/data', leaveBytes: 0 }],
    ['hang-servers', { type: 'hang-servers', fleet: 'arena', count: 2 }, { type: 'hang-servers', radius: { fleet: 'arena', count: 2 } }],
  ])('compiles a %s fault', (_type, fault, want) => {
    expect(compileExperiment({ ...valid, fault }).fault).toEqual(want);
  });

  it.each([
    ['another kind', { ...valid, kind: 'Fleet' }, 'kind'],
    ['a name that is not a slug', { ...valid, name: 'Kill All!' }, 'name'],
    ['no duration', { ...valid, duration: undefined }, 'duration'],
    ['a duration without unit', { ...valid, duration: '30' }, 'duration'],
    ['an unknown top-level field', { ...valid, durtion: '3s' }, 'experiment.durtion'],
    ['a hypothesis without a check', { ...valid, hypothesis: { window: '1s' } }, 'hypothesis'],
    ['a success ratio above 1', { ...valid, hypothesis: { minAllocationSuccess: 99 } }, 'hypothesis.minAllocationSuccess'],
    ['an unknown hypothesis field', { ...valid, hypothesis: { minSuccess: 0.9 } }, 'hypothesis.minSuccess'],
    ['a rate of 0', { ...valid, load: { fleet: 'arena', rate: 0 } }, 'load.rate'],
    ['an unknown fault type', { ...valid, fault: { type: 'meteor' } }, 'fault.type'],
    ['both count and percent', { ...valid, fault: { type: 'kill-servers', fleet: 'arena', count: 1, percent: 10 } }, 'fault'],
    ['a percent above 100', { ...valid, fault: { type: 'kill-servers', fleet: 'arena', percent: 150 } }, 'fault.percent'],
    ['a signal other than KILL or TERM', { ...valid, fault: { type: 'kill-servers', fleet: 'arena', count: 1, signal: 'SIGHUP' } }, 'fault.signal'],
    ['a replica kill without pids', { ...valid, fault: { type: 'kill-replica', target: 'leader' } }, 'fault.pids'],
    ['a db-proxy fault that does nothing', { ...valid, fault: { type: 'db-proxy', control: 'http://x:1' } }, 'fault'],
    ['a db-proxy control that is no URL', { ...valid, fault: { type: 'db-proxy', control: 'proxy', drop: true } }, 'fault.control'],
    ['a baseline shorter than the window', { ...valid, baseline: '500ms' }, 'baseline'],
  ])('refuses %s with CHAOS_EXPERIMENT_INVALID naming the field', (_name, doc, field) => {
    expect(codeOf(doc)).toEqual({ code: 'CHAOS_EXPERIMENT_INVALID', field });
  });
});

describe('the examples in examples/chaos/', () => {
  const dir = new URL('../../examples/chaos/', import.meta.url);
  it.each(readdirSync(dir).filter((f) => f.endsWith('.yaml')))('%s is a valid experiment', (file) => {
    expect(() => compileExperiment(parse(readFileSync(new URL(file, dir), 'utf8')))).not.toThrow();
  });
});
