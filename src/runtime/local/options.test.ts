import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveLocalRuntimeOptions } from './options.js';

describe('resolveLocalRuntimeOptions', () => {
  it('fills the defaults and makes the log directory absolute', () => {
    expect(resolveLocalRuntimeOptions({ logDir: 'logs', portRange: { from: 7000, to: 7099 } })).toEqual({
      logDir: path.resolve('logs'),
      portRange: { from: 7000, to: 7099 },
      address: '127.0.0.1',
      adoptPollMs: 1000,
      logs: { maxBytes: 10 * 1024 * 1024, files: 3, retainMs: 7 * 24 * 3600 * 1000 },
      logCheckMs: 1000,
    });
  });

  it.each([
    ['an inverted range', { from: 7100, to: 7000 }, 1000],
    ['port 0', { from: 0, to: 10 }, 1000],
    ['a port above 65535', { from: 65000, to: 70000 }, 1000],
    ['a fractional port', { from: 7000.5, to: 7100 }, 1000],
    ['a zero poll interval', { from: 7000, to: 7100 }, 0],
  ])('refuses %s', (_case, portRange, adoptPollMs) => {
    expect(() => resolveLocalRuntimeOptions({ logDir: 'logs', portRange, adoptPollMs })).toThrow(RangeError);
  });

  it.each([
    ['a zero log size', { logMaxBytes: 0 }],
    ['a negative count of rotated logs', { logFiles: -1 }],
    ['a zero log retention', { logRetainMs: 0 }],
  ])('refuses %s', (_case, logs) => {
    expect(() => resolveLocalRuntimeOptions({ logDir: 'logs', portRange: { from: 7000, to: 7099 }, ...logs })).toThrow(RangeError);
  });
});
