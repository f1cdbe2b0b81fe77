import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage.js';
import { parseRolloutAction, parseRolloutStatus } from './rollout.js';

describe('parseRolloutStatus', () => {
  it('shows the status once, or watches every second by default', () => {
    expect(parseRolloutStatus(['arena'])).toMatchObject({ help: false, input: { fleet: 'arena', watch: false, intervalMs: 1000 } });
    expect(parseRolloutStatus(['arena', '-w', '--interval', '500ms'])).toMatchObject({
      input: { fleet: 'arena', watch: true, intervalMs: 500 },
    });
  });

  it('rejects a bad interval and a missing fleet', () => {
    expect(() => parseRolloutStatus(['arena', '--interval', 'fast'])).toThrow(UsageError);
    expect(() => parseRolloutStatus([])).toThrow(/missing FLEET/);
  });
});

describe('rollout promote and abort flags', () => {
  it('passes --variant with promote, and refuses it with abort', () => {
    expect(parseRolloutAction('promote', ['arena', '--variant', 'B'])).toMatchObject({ help: false, input: { fleet: 'arena', variant: 'B' } });
    expect(parseRolloutAction('promote', ['arena'])).toMatchObject({ help: false, input: { fleet: 'arena', variant: null } });
    expect(() => parseRolloutAction('abort', ['arena', '--variant', 'B'])).toThrow(UsageError);
  });
});
