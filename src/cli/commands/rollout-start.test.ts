import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage.js';
import { parseRolloutStart, type DynamicPoolStartRequest, type RolloutStartRequest } from './rollout-start.js';

function anyRequestOf(args: string[]): RolloutStartRequest | DynamicPoolStartRequest {
  const parsed = parseRolloutStart(args);
  if (parsed.help) throw new Error('expected a request, got help');
  return parsed.input as RolloutStartRequest;
}

function requestOf(args: string[]): RolloutStartRequest {
  const r = anyRequestOf(args);
  if (r.strategy === 'dynamic-pool') throw new Error('expected a blue-green request');
  return r as RolloutStartRequest;
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

  it('sends a rolling release only the flags given, leaving the rest to the server', () => {
    expect(requestOf(['arena', '--build', 'b', '--strategy', 'rolling'])).toEqual({ fleet: 'arena', build: 'b', strategy: 'rolling' });
    expect(
      requestOf(['arena', '--build', 'b', '--strategy', 'rolling', '--max-surge', '0', '--max-unavailable', '25%', '--batch-ready-timeout', '2m', '--smoke-http', 'game:/healthz']),
    ).toEqual({
      fleet: 'arena', build: 'b', strategy: 'rolling',
      maxSurge: 0, maxUnavailable: '25%', batchReadyTimeoutSeconds: 120, smoke: { kind: 'http', port: 'game', path: '/healthz' },
    });
  });

  it('passes an unknown strategy through for the server to judge', () => {
    expect(requestOf(['arena', '--build', 'b', '--strategy', 'warp']).strategy).toBe('warp');
  });

  it.each([
    [['--strategy', 'dynamic-pool'], { fleet: 'arena', build: 'b', strategy: 'dynamic-pool' }],
    [['--strategy', 'dynamic-pool', '--servers', 'match', '--old-idle', '10m'], { fleet: 'arena', build: 'b', strategy: 'dynamic-pool', servers: 'match', oldIdleSeconds: 600 }],
    [['--strategy', 'dynamic-pool', '--servers', '3', '--ready-timeout', '2m'], { fleet: 'arena', build: 'b', strategy: 'dynamic-pool', servers: 3, readyTimeoutSeconds: 120 }],
    [['--strategy', 'dynamic-pool', '--migrate-below', '10', '--migrate-notice', '30s'], { fleet: 'arena', build: 'b', strategy: 'dynamic-pool', migration: { belowPlayers: 10, noticeSeconds: 30 } }],
  ])('builds a dynamic-pool request from %j, leaving the rest to the server', (flags, want) => {
    expect(anyRequestOf(['arena', '--build', 'b', ...flags])).toEqual(want);
  });

  it('adds a gentle migration to a blue-green release', () => {
    expect(requestOf(['arena', '--build', 'b', '--migrate-after', '1h', '--migrate-below', '5', '--migrate-token-ttl', '5m']).migration).toEqual({
      afterSeconds: 3600, belowPlayers: 5, tokenTtlSeconds: 300,
    });
  });

  it.each([
    [['--build', 'b'], /missing FLEET/],
    [['arena', '--build', 'b', '--servers', '2'], /--servers applies to --strategy dynamic-pool/],
    [['arena', '--build', 'b', '--strategy', 'dynamic-pool', '--servers', 'many'], /--servers: "many" is not a positive integer/],
    [['arena', '--build', 'b', '--strategy', 'dynamic-pool', '--servers', '0'], /not a positive integer/],
    [['arena', '--build', 'b', '--strategy', 'dynamic-pool', '--smoke-http', 'game:/'], /does not apply to a dynamic pool/],
    [['arena', '--build', 'b', '--strategy', 'dynamic-pool', '--no-auto-promote'], /does not apply to a dynamic pool/],
    [['arena', '--build', 'b', '--migrate-notice', '1m'], /needs a trigger/],
    [['arena', '--build', 'b', '--migrate-after', '1m', '--drain-deadline', '5m'], /not both/],
    [['arena'], /--build B is required/],
    [['arena', '--build', 'b', '--smoke-http', 'game:/', '--smoke-cmd', 'x'], /alternatives/],
    [['arena', '--build', 'b', '--drain-notice', '1m'], /--drain-notice needs --drain-deadline/],
    [['arena', '--build', 'b', '--drain-deadline', 'soon'], /--drain-deadline: "soon" is not a duration/],
    [['arena', '--build', 'b', '--ready-timeout', '1500ms'], /whole number of seconds/],
    [['arena', '--build', 'b', '--smoke-http', '/healthz'], /PORT:PATH/],
    [['arena', '--build', 'b', '--strategy', 'rolling', '--max-surge', 'one'], /--max-surge: "one" is not a count or a percentage/],
    [['arena', '--build', 'b', '--strategy', 'rolling', '--max-unavailable=1.5'], /--max-unavailable: "1.5" is not a count or a percentage/],
    [['arena', '--build', 'b', '--strategy', 'rolling', '--batch-ready-timeout', 'soon'], /--batch-ready-timeout: "soon" is not a duration/],
  ])('rejects %j', (args, message) => {
    expect(() => parseRolloutStart(args)).toThrow(UsageError);
    expect(() => parseRolloutStart(args)).toThrow(message);
  });
});
