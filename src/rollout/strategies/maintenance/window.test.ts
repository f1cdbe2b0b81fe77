import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { maintenance } from './index.js';
import { maintenanceOptions } from './spec.js';
import { MIN, spec, T0 } from './testing.js';
import { SCHEDULE_SLACK_MS } from './window.js';

const options = z.strictObject(maintenanceOptions);

describe('maintenance options', () => {
  it.each([
    ['milliseconds since epoch', T0, T0],
    ['an ISO 8601 time in UTC', '2027-01-15T04:00:00Z', Date.UTC(2027, 0, 15, 4)],
    ['an ISO 8601 time with an offset', '2027-01-15T06:00:00+02:00', Date.UTC(2027, 0, 15, 4)],
  ])('takes startsAt as %s', (_as, startsAt, ms) => {
    expect(options.parse({ startsAt, durationSeconds: 600, noticeLeadSeconds: 60 })).toEqual({
      startsAt: ms, durationSeconds: 600, noticeLeadSeconds: 60, sessionDeadlineSeconds: null, message: null, maxStartFailures: 3,
    });
  });

  it.each([
    ['a date without a time', { startsAt: '2027-01-15' }],
    ['a time without a zone', { startsAt: '2027-01-15T04:00:00' }],
    ['a window of no length', { durationSeconds: 0 }],
    ['a negative notice lead', { noticeLeadSeconds: -1 }],
    ['no notice lead at all', { noticeLeadSeconds: undefined }],
  ])('refuses %s', (_what, over) => {
    expect(options.safeParse({ startsAt: T0, durationSeconds: 600, noticeLeadSeconds: 60, ...over }).success).toBe(false);
  });
});

describe('maintenance.validate', () => {
  it.each([
    ['a window far enough ahead for its notice', spec({ startsAt: T0 + 10 * MIN, noticeLeadSeconds: 600 })],
    ['a window starting now without notice', spec({ startsAt: T0, noticeLeadSeconds: 0 })],
    ['a lead that only misses by the request travel time', spec({ startsAt: T0 + 10 * MIN - SCHEDULE_SLACK_MS, noticeLeadSeconds: 600 })],
    ['a deadline at the very end of the window', spec({ sessionDeadlineSeconds: 900, durationSeconds: 900 })],
  ])('accepts %s', (_what, s) => {
    expect(() => maintenance.validate(s, T0)).not.toThrow();
  });

  it.each([
    ['a window in the past', spec({ startsAt: T0 - 5 * MIN, noticeLeadSeconds: 0 }), 'startsAt', /5 minutes|300s in the past/],
    ['a start in seconds, not milliseconds', spec({ startsAt: Math.floor(T0 / 1000), noticeLeadSeconds: 0 }), 'startsAt', /in the past/],
    ['a start in microseconds', spec({ startsAt: T0 * 1000 }), 'startsAt', /more than a year ahead/],
    ['a notice lead longer than the time left', spec({ startsAt: T0 + 2 * MIN, noticeLeadSeconds: 300 }), 'noticeLeadSeconds', /longer than the time left before the window \(120s\)/],
    ['a session deadline after the expected end', spec({ durationSeconds: 600, sessionDeadlineSeconds: 601 }), 'sessionDeadlineSeconds', /after the window's expected end/],
  ])('refuses %s with ROLLOUT_INVALID_SPEC naming the field', (_what, s, field, message) => {
    expect(() => maintenance.validate(s, T0)).toThrow(expect.objectContaining({ code: 'ROLLOUT_INVALID_SPEC', status: 422, details: expect.objectContaining({ field }) }));
    expect(() => maintenance.validate(s, T0)).toThrow(message);
  });
});
