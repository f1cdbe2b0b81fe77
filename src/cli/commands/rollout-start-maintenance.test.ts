import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage.js';
import { parseRolloutStart } from './rollout-start.js';

const NOW = 1_800_000_000_000;

function requestOf(args: string[]): unknown {
  const parsed = parseRolloutStart(['arena', '--build', 'v2', '--strategy', 'maintenance', ...args], () => NOW);
  if (parsed.help) throw new Error('expected a request, got help');
  return parsed.input;
}

const required = ['--window-duration', '15m', '--notice-lead', '5m'];

describe('rollout start --strategy maintenance', () => {
  it.each([
    ['an ISO time, passed on for the server to read', '2030-01-15T04:00:00Z', '2030-01-15T04:00:00Z'],
    ['a time from now', '+30m', NOW + 30 * 60_000],
    ['milliseconds since epoch', '1900000000000', 1_900_000_000_000],
  ])('takes --window-start as %s', (_as, text, startsAt) => {
    expect(requestOf(['--window-start', text, ...required])).toEqual({
      fleet: 'arena', build: 'v2', strategy: 'maintenance', startsAt, durationSeconds: 900, noticeLeadSeconds: 300,
    });
  });

  it('maps the optional session deadline and message', () => {
    expect(requestOf(['--window-start', '+1h', ...required, '--session-deadline', '2m', '--window-message', 'Winter map tonight'])).toMatchObject({
      sessionDeadlineSeconds: 120, message: 'Winter map tonight',
    });
  });

  it.each([
    [['--window-duration', '15m', '--notice-lead', '5m'], /needs --window-start/],
    [['--window-start', '+1h', '--notice-lead', '5m'], /needs --window-duration/],
    [['--window-start', '+1h', '--window-duration', '15m'], /needs --notice-lead/],
    [['--window-start', 'tonight', ...required], /--window-start: "tonight" is not a time/],
    [['--window-start', '+soon', ...required], /not a duration/],
    [['--window-start', '+1h', ...required, '--session-deadline', '1500ms'], /whole number of seconds/],
    [['--window-start', '+1h', ...required, '--drain-deadline', '5m'], /--drain-deadline do not apply to --strategy maintenance/],
    [['--window-start', '+1h', ...required, '--no-auto-promote', '--old-idle', '5'], /--no-auto-promote, --old-idle do not apply/],
  ])('rejects %j', (args, message) => {
    expect(() => requestOf(args)).toThrow(UsageError);
    expect(() => requestOf(args)).toThrow(message);
  });

  it('refuses maintenance flags without --strategy maintenance', () => {
    expect(() => parseRolloutStart(['arena', '--build', 'v2', '--window-start', '+1h', '--notice-lead', '5m'])).toThrow(/--window-start, --notice-lead need --strategy maintenance/);
  });
});
