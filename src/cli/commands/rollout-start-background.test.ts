import { describe, expect, it } from 'vitest';
import { RolloutStartSchema } from '../../api/schemas.js';
import { UsageError } from '../usage.js';
import { parseRolloutStart } from './rollout-start.js';

function inputOf(args: string[]): Record<string, unknown> {
  const parsed = parseRolloutStart(args, () => Date.UTC(2030, 0, 1));
  if (parsed.help) throw new Error('expected a request, got help');
  return parsed.input as unknown as Record<string, unknown>;
}

describe('the --background-* flags of rollout start', () => {
  it('adds a background analysis to a blue-green release: ceilings, floors and comparisons', () => {
    const input = inputOf(['arena', '--build', 'v2', '--background-analysis', 'crash_rate<=0.05, session_length_seconds>=60, abnormal_close_rate compare, custom.tick_ms<=33.5',
      '--background-interval', '30s', '--background-window', '2m', '--background-on-inconclusive', 'pause']);
    expect(input).toMatchObject({ strategy: 'blue-green', backgroundAnalysis: {
      metrics: [{ metric: 'crash_rate', max: 0.05 }, { metric: 'session_length_seconds', min: 60 }, { metric: 'abnormal_close_rate', compare: 'auto' }, { metric: 'custom.tick_ms', max: 33.5 }],
      intervalSeconds: 30, windowSeconds: 120, onInconclusive: 'pause',
    } });
  });

  it.each([
    ['rolling', ['--strategy', 'rolling']],
    ['canary', ['--strategy', 'canary', '--steps', '20, 100']],
    ['ab-test', ['--strategy', 'ab-test', '--variant', 'A:v1=50', '--variant', 'B:v2=50']],
    ['dynamic-pool', ['--strategy', 'dynamic-pool']],
    ['maintenance', ['--strategy', 'maintenance', '--window-start', '+1h', '--window-duration', '10m', '--notice-lead', '5m']],
  ])('rides on a %s release too', (strategy, flags) => {
    const input = inputOf(['arena', '--build', 'v2', ...flags, '--background-analysis', 'crash_rate<=0.1']);
    expect(input).toMatchObject({ strategy, backgroundAnalysis: { metrics: [{ metric: 'crash_rate', max: 0.1 }] } });
  });

  it('makes a request the API takes as it is', () => {
    const input = inputOf(['arena', '--build', 'v2', '--strategy', 'rolling', '--background-analysis', 'crash_rate<=0.05, allocation_latency_ms compare', '--background-interval', '45s']);
    expect(RolloutStartSchema.parse(input)).toMatchObject({ backgroundAnalysis: { intervalSeconds: 45, windowSeconds: 300, onInconclusive: 'continue', metrics: [{ metric: 'crash_rate', max: 0.05, minSamples: 20 }, { metric: 'allocation_latency_ms', compare: 'auto' }] } });
  });

  it('sends none without the flag', () => {
    expect(inputOf(['arena', '--build', 'v2'])).not.toHaveProperty('backgroundAnalysis');
  });

  it.each([
    [['--background-analysis', 'crash_rate < 0.1'], /is not METRIC<=N, METRIC>=N or METRIC compare/],
    [['--background-analysis', ' , '], /at least one metric/],
    [['--background-interval', '30s'], /--background-interval need --background-analysis/],
    [['--background-analysis', 'crash_rate<=0.1', '--background-on-inconclusive', 'ignore'], /not continue or pause/],
  ])('refuses %j', (flags, message) => {
    expect(() => inputOf(['arena', '--build', 'v2', ...flags])).toThrow(UsageError);
    expect(() => inputOf(['arena', '--build', 'v2', ...flags])).toThrow(message);
  });
});
