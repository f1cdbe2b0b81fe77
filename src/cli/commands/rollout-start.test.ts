import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage.js';
import { parseRolloutStart, type RolloutStartRequest } from './rollout-start.js';

function requestOf(args: string[]): RolloutStartRequest {
  const parsed = parseRolloutStart(args);
  if (parsed.help) throw new Error('expected a request, got help');
  return parsed.input;
}

describe('parseRolloutStart', () => {
  it('starts an auto-promoting blue-green rollout with no smoke check or drain deadline by default', () => {
    expect(requestOf(['arena', '--build', 'arena-2'])).toEqual({
      fleet: 'arena',
      build: 'arena-2',
      strategy: 'blue-green',
      autoPromote: true,
      smoke: null,
      drain: null,
      oldIdleSeconds: null,
    });
  });

  it('maps every flag, converting durations to seconds', () => {
    expect(
      requestOf([
        'arena',
        '--build=arena-2',
        '--no-auto-promote',
        '--smoke-http',
        'game:/healthz',
        '--drain-deadline',
        '30m',
        '--drain-notice',
        '90s',
        '--old-idle',
        '120',
        '--ready-timeout',
        '1h',
      ]),
    ).toEqual({
      fleet: 'arena',
      build: 'arena-2',
      strategy: 'blue-green',
      autoPromote: false,
      smoke: { kind: 'http', port: 'game', path: '/healthz' },
      drain: { deadlineSeconds: 1800, noticeLeadSeconds: 90 },
      oldIdleSeconds: 120,
      readyTimeoutSeconds: 3600,
    });
  });

  it('splits a smoke command into argv', () => {
    expect(requestOf(['arena', '--build', 'b', '--smoke-cmd', `./smoke.sh --map 'de dust'`]).smoke).toEqual({
      kind: 'command',
      command: ['./smoke.sh', '--map', 'de dust'],
    });
  });

  it('leaves the notice lead to the server when only a deadline is given', () => {
    expect(requestOf(['arena', '--build', 'b', '--drain-deadline', '10m']).drain).toEqual({ deadlineSeconds: 600 });
  });

  it('passes an unknown strategy through for the server to judge', () => {
    expect(requestOf(['arena', '--build', 'b', '--strategy', 'warp']).strategy).toBe('warp');
  });

  it.each([
    [['--build', 'b'], /missing FLEET/],
    [['arena'], /--build B is required/],
    [['arena', '--build', 'b', '--smoke-http', 'game:/', '--smoke-cmd', 'x'], /alternatives/],
    [['arena', '--build', 'b', '--drain-notice', '1m'], /--drain-notice needs --drain-deadline/],
    [['arena', '--build', 'b', '--drain-deadline', 'soon'], /--drain-deadline: "soon" is not a duration/],
    [['arena', '--build', 'b', '--ready-timeout', '1500ms'], /whole number of seconds/],
    [['arena', '--build', 'b', '--smoke-http', '/healthz'], /PORT:PATH/],
  ])('rejects %j', (args, message) => {
    expect(() => parseRolloutStart(args)).toThrow(UsageError);
    expect(() => parseRolloutStart(args)).toThrow(message);
  });
});
