import { describe, expect, it } from 'vitest';
import { acceptsClient, parseClientRange } from './client-range.js';

describe('client version matching', () => {
  it.each([
    ['>=1.4.0 <2', '1.4.2', true],
    ['>=1.4.0 <2', '1.5.0-beta.1', true],
    ['1.x', '1.2.0-rc.1', true],
    ['^1.5.0', '1.5.0-beta.1', false],
    ['>=1.5.0-0', '1.5.0-beta.1', true],
    ['>=1.4.0 <2', '2.0.0-beta.1', false],
    ['>=1.4.0 <2.0.0', '2.0.0-beta.1', true],
    ['>=1.4.0 <2', '1.3.9', false],
    ['*', '0.0.1-alpha', true],
    ['>=1.4.0', 'not-a-version', false],
  ])('%s accepts %s: %s', (range, version, expected) => {
    expect(acceptsClient(parseClientRange(range), version)).toBe(expected);
  });

  it('accepts a client that sends no version on any build', () => {
    expect(acceptsClient(parseClientRange('>=9'), null)).toBe(true);
  });
});
