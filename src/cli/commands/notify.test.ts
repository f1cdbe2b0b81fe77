import { describe, expect, it } from 'vitest';
import { parseNotify } from './notify.js';

describe('handoff notify', () => {
  it('sends the message and a start time relative to now', () => {
    const p = parseNotify(['arena', '--message', 'Servers restart soon', '--in', '30m'], () => 1_000);
    expect(p).toMatchObject({ help: false, input: { fleet: 'arena', body: { message: 'Servers restart soon', startsAt: 1_000 + 30 * 60_000 } } });
  });

  it('leaves the start time out when none is given', () => {
    const p = parseNotify(['arena', '--message', 'hi']);
    expect(p.help === false && p.input.body).toEqual({ message: 'hi' });
  });

  it('refuses a notice without a message as a usage error', () => {
    expect(() => parseNotify(['arena'])).toThrow(/--message TEXT is required/);
  });
});
