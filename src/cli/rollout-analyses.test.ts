import { describe, expect, it } from 'vitest';
import { renderAnalysis } from './rollout-analyses.js';
import { renderRolloutStatus } from './rollout-status.js';
import { Noon, rolloutView } from './testing.js';

const failed = {
  step: 'step 2/3',
  verdict: 'fail' as const,
  window: { since: Noon - 30_000, until: Noon },
  canary: 'arena-2',
  baseline: 'arena-1',
  at: Noon,
  result: {
    verdict: 'fail' as const,
    metrics: [
      {
        metric: 'crash_rate', verdict: 'fail' as const, canary: { n: 4, value: 0.75 }, baseline: { n: 6, value: 0 },
        test: { name: 'fisher-exact', statistic: 3, pValue: 0.0333333, effect: 0.75 }, reason: 'crash_rate is significantly higher on the canary.',
      },
      { metric: 'abnormal_close_rate', verdict: 'inconclusive' as const, canary: { n: 2, value: 0.5 }, baseline: { n: 0, value: null }, test: null, reason: 'Only 2 canary samples.' },
    ],
  },
};

describe('renderAnalysis', () => {
  it('shows the verdict, the builds and the window, then each metric with both sides, the test and its sentence', () => {
    expect(renderAnalysis(failed)).toBe(
      [
        'analysis step 2/3: FAIL  arena-2 against arena-1 over 30s',
        '  fail         crash_rate  canary 0.75 (n 4)  baseline 0 (n 6)  fisher-exact p 0.0333: crash_rate is significantly higher on the canary.',
        '  inconclusive abnormal_close_rate  canary 0.5 (n 2)  baseline - (n 0): Only 2 canary samples.',
      ].join('\n'),
    );
  });

  it('is part of rollout status, and a running metrics analysis shows as a check rather than a smoke check on a server', () => {
    const r = rolloutView({
      strategy: 'canary', phase: 'Failed', analyses: [failed],
      smoke: { state: 'failed', serverId: '', startedAt: Noon - 30_000, finishedAt: Noon, detail: 'fail: crash_rate is significantly higher on the canary.' },
    });
    const text = renderRolloutStatus(r, Noon);
    expect(text).toContain('check    failed in 30s: fail: crash_rate');
    expect(text).toContain('analysis step 2/3: FAIL');
  });
});
