import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCatalogue, HandoffError, toHandoffError } from './errors.js';

describe('error catalogue', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

  it.each(Object.keys(ErrorCatalogue))('documents %s in docs/errors.md', (code) => {
    expect(doc).toContain(`\`${code}\``);
  });

  it('maps every code to a 4xx or 5xx status', () => {
    for (const entry of Object.values(ErrorCatalogue)) {
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
    }
  });

  it('turns unknown throwables into INTERNAL without losing the cause', () => {
    const e = toHandoffError(new Error('disk on fire'));
    expect(e.code).toBe('INTERNAL');
    expect(e.details).toEqual({ cause: 'disk on fire' });
  });

  it('keeps the code, status and retryable flag of a catalogue entry', () => {
    const e = new HandoffError('NO_CAPACITY');
    expect(e.toBody().error).toMatchObject({ code: 'NO_CAPACITY', retryable: true });
    expect(e.status).toBe(503);
  });
});
