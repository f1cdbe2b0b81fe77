import { describe, expect, it } from 'vitest';
import { ReleaseViewSchema, type ReleaseView } from '../../api/release-schemas.js';
import { renderRelease } from './release.js';

const step = (name: string, over: Partial<ReleaseView['steps'][number]> = {}): ReleaseView['steps'][number] => ({
  name, fleet: name, build: `${name}-v2`, strategy: 'blue-green', after: [], phase: 'Completed', message: '', gate: null,
  rolloutId: `ro_${name}`, fromBuild: `${name}-v1`, rollbackRolloutId: null, startedAt: 1, completedAt: 2, ...over,
});

const view: ReleaseView = ReleaseViewSchema.parse({
  name: 'season', phase: 'Failed', message: 'step raids failed', failurePolicy: 'stop', completionOrder: ['world'], spec: {}, createdAt: 0, updatedAt: 3, finishedAt: 3,
  steps: [
    step('world'),
    step('raids', {
      after: ['world'], phase: 'Failed', rolloutId: null, fromBuild: null,
      gate: {
        kind: 'analysis', state: 'failed', detail: 'analysis fail', at: 3,
        analysis: {
          window: { since: 1, until: 2 }, verdict: 'fail',
          verdicts: [{
            step: 'world', fleet: 'world', canary: 'world-v2', baseline: 'world-v1', verdict: 'fail',
            metrics: [{ metric: 'crash_rate', verdict: 'fail', canary: { n: 6, value: 0.5 }, baseline: { n: 2, value: 0 }, test: { name: 'fisher-exact', statistic: 3, pValue: 0.0123456, effect: 0.5 }, reason: 'crash rate above its max.' }],
          }],
        },
      },
    }),
  ],
});

describe('release status', () => {
  it('shows an analysis gate\'s state in the table and its verdict\'s numbers under it', () => {
    const out = renderRelease(view);
    expect(out).toContain('analysis failed');
    expect(out).toContain('Analysis gate of raids: fail');
    expect(out).toContain('  world (world): world-v2 vs world-v1: fail');
    expect(out).toContain('    crash_rate fail: canary 0.5 (n=6), baseline 0 (n=2) p=0.0123 — crash rate above its max.');
  });

  it('adds nothing under the table when no step has an analysis gate', () => {
    expect(renderRelease({ ...view, steps: [step('world')] })).not.toContain('Analysis gate');
  });
});
