import { describe, expect, it } from 'vitest';
import { renderRolloutStatus } from './rollout-status.js';
import { Noon, rolloutView } from './testing.js';

const figures = {
  since: Noon - 60_000, until: null, truncated: false,
  variants: [
    { name: 'A', build: 'arena-1', sessions: 40, open: 3, meanSeconds: 312.4, medianSeconds: 290, abnormalCloses: 2, closeReasons: {} },
    { name: 'B', build: 'arena-2', sessions: 38, open: 5, meanSeconds: null, medianSeconds: null, abnormalCloses: 0, closeReasons: {} },
  ],
};

describe('rollout status of canaries and A/B tests', () => {
  it('shows each variant\'s figures and how to end an A/B test', () => {
    const text = renderRolloutStatus(rolloutView({ strategy: 'ab-test', phase: 'Progressing', message: 'A/B test running', progressState: { figures } }), Noon);
    expect(text).toContain('next     end the test with: handoff rollout promote arena --variant A|B');
    expect(text).toContain([
      'VARIANT  BUILD    SESSIONS  OPEN  MEAN   MEDIAN  ABNORMAL',
      'A        arena-1  40        3     5m12s  4m50s   2',
      'B        arena-2  38        5     -      -       0',
    ].join('\n'));
  });

  it('tells the operator how to continue a canary paused until promote, and not one paused for a time', () => {
    const paused = (message: string) => renderRolloutStatus(rolloutView({ strategy: 'canary', phase: 'Paused', message }), Noon);
    expect(paused('step 4/5: paused at 50% until promote')).toContain('next     continue with: handoff rollout promote arena');
    expect(paused('step 2/5: paused at 20% for 30s')).not.toContain('next');
  });

  it('says when only the most recent closed sessions were counted', () => {
    const text = renderRolloutStatus(rolloutView({ strategy: 'canary', progressState: { figures: { ...figures, truncated: true } } }), Noon);
    expect(text).toContain('(only the most recent closed sessions are counted)');
  });
});
