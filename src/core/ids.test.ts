import { describe, expect, it } from 'vitest';
import { newId } from './ids.js';

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
