import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { ReadCache } from './read-cache.js';

describe('ReadCache', () => {
  it('shares one read per key within the period, and reads again after it', async () => {
    const clock = new FakeClock(1_000);
    const cache = new ReadCache<number>(5_000, () => clock.now());
    let reads = 0;
    const read = async () => ++reads;
    expect(await Promise.all([cache.get('a', read), cache.get('a', read)])).toEqual([1, 1]);
    expect(await cache.get('b', read)).toBe(2);
    clock.advance(4_999);
    expect(await cache.get('a', read)).toBe(1);
    clock.advance(1);
    expect(await cache.get('a', read)).toBe(3);
  });

  it('does not keep a failed read, and forgets a dropped key', async () => {
    const cache = new ReadCache<number>(5_000, () => 0);
    await expect(cache.get('a', () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(await cache.get('a', async () => 7)).toBe(7);
    cache.drop('a');
    expect(await cache.get('a', async () => 8)).toBe(8);
  });
});
