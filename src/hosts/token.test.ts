import { describe, expect, it } from 'vitest';
import { hostToken, verifyHostToken } from './token.js';

describe('host tokens', () => {
  it('verifies the token of the host it was made for', () => {
    expect(verifyHostToken('s3cret', 'host-a', hostToken('s3cret', 'host-a'))).toBe(true);
  });

  it('refuses the token of another host, of another secret, and garbage', () => {
    expect(verifyHostToken('s3cret', 'host-a', hostToken('s3cret', 'host-b'))).toBe(false);
    expect(verifyHostToken('s3cret', 'host-a', hostToken('other', 'host-a'))).toBe(false);
    expect(verifyHostToken('s3cret', 'host-a', '')).toBe(false);
    expect(verifyHostToken('s3cret', 'host-a', 'x'.repeat(43))).toBe(false);
  });
});
