import { describe, expect, it } from 'vitest';
import { newId, newSortableId } from './ids.js';

describe('newId', () => {
  it('is the prefix, an underscore and 12 URL-safe characters (72 bits)', () => {
    expect(newId('ses')).toMatch(/^ses_[A-Za-z0-9_-]{12}$/);
  });

  it('does not repeat over many draws and uses every character position', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('x').slice(2));
    expect(new Set(ids).size).toBe(ids.length);
    // No position stuck on the UUID's fixed version or variant digits: each takes many values.
    for (let i = 0; i < 12; i++) expect(new Set(ids.map((id) => id[i])).size).toBeGreaterThan(32);
  });
});

describe('newSortableId', () => {
  const t = Date.UTC(2026, 11, 7, 18, 0, 0, 123);

  it('is the prefix, an underscore and 19 URL-safe characters: 7 of time, then 72 random bits', () => {
    expect(newSortableId('ses', t)).toMatch(/^ses_[A-Za-z0-9_-]{19}$/);
    // Still a valid path id of the API (IdParamsSchema: letters, digits, _ and -, at most 64).
    expect(newSortableId('ses', t).length).toBeLessThanOrEqual(64);
  });

  it('sorts by creation time in plain byte order, to the millisecond', () => {
    const times = [0, 1, 63, 64, 4_095, t - 1, t, t + 1, t + 86_400_000, 64 ** 7 - 1];
    const ids = times.map((ms) => newSortableId('ses', ms));
    const byBytes = [...ids].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(byBytes).toEqual(ids);
  });

  it('does not repeat within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => newSortableId('x', t));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('clamps a time outside its 42 bits instead of growing or going negative', () => {
    expect(newSortableId('x', -5).slice(2, 9)).toBe('-------');
    expect(newSortableId('x', 64 ** 7 + 10).slice(2, 9)).toBe('zzzzzzz');
  });
});
