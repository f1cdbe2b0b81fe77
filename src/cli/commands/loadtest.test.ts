import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage.js';
import { parseLoadtest } from './loadtest.js';

const base = ['--fleet', 'arena', '--rate', '500', '--duration', '30s'];

describe('parseLoadtest', () => {
  it('takes the fleet, rate and duration, with defaults for the rest and the --server URL when --url is absent', () => {
    expect(parseLoadtest(base, 36 ** 3)).toEqual({
      global: expect.anything(), help: false,
      input: { urls: null, fleet: 'arena', ratePerS: 500, durationMs: 30_000, connections: 256, timeoutMs: 10_000, playerPrefix: 'lt-1000' },
    });
  });

  it('splits comma-separated URLs, so several control planes take requests in turn', () => {
    const parsed = parseLoadtest([...base, '--url', 'http://a:7350, https://b.example/handoff,', '--connections', '8', '--timeout', '500ms', '--player-prefix', 'run7']);
    expect(parsed).toMatchObject({ input: { urls: ['http://a:7350', 'https://b.example/handoff'], connections: 8, timeoutMs: 500, playerPrefix: 'run7' } });
  });

  it.each([
    [['--rate', '5', '--duration', '1s'], /--fleet is required/],
    [['--fleet', 'f', '--duration', '1s'], /--rate is required/],
    [['--fleet', 'f', '--rate', '5'], /--duration is required/],
    [[...base.slice(0, 2), '--rate', '0', '--duration', '1s'], /--rate: "0" is not a positive integer/],
    [[...base.slice(0, 4), '--duration', '0s'], /--duration must be longer than 0/],
    [[...base, '--url', 'ftp://a'], /must be an http/],
    [[...base, '--url', ','], /no URL given/],
    [[...base, 'extra'], /unexpected argument "extra"/],
  ])('refuses %j before sending anything', (args, message) => {
    expect(() => parseLoadtest(args)).toThrow(UsageError);
    expect(() => parseLoadtest(args)).toThrow(message);
  });
});
