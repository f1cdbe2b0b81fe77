import { describe, expect, it } from 'vitest';
import { CloseReasons, type CloseReason } from '../../session/model.js';
import { buildSample, CloseReasonRoles, type SessionTimes } from './sample.js';

const closed = (openedAt: number, closedAt: number, closeReason: CloseReason = 'ended'): SessionTimes => ({ openedAt, closedAt, closeReason });
const open = (openedAt: number): SessionTimes => ({ openedAt, closedAt: null, closeReason: null });

describe('buildSample', () => {
  it.each<[CloseReason, boolean]>([
    ['ended', true], ['disconnected', true], ['expired', true], ['roster', true],
    ['api', false], ['migrated', false], ['server_crashed', false], ['server_stopped', false],
  ])('counts a session closed as %s as an event: %s', (reason, event) => {
    const s = buildSample([closed(1_000, 4_000, reason)], [], 10_000, false);
    expect(s.observations).toEqual([{ time: 3_000, event }]);
    expect(s.events).toBe(event ? 1 : 0);
  });

  it('places every close reason', () => {
    expect(Object.keys(CloseReasonRoles).sort()).toEqual([...CloseReasons].sort());
  });

  it('censors open sessions at their current age', () => {
    const s = buildSample([], [open(4_000), open(9_500)], 10_000, false);
    expect(s.observations).toEqual([{ time: 6_000, event: false }, { time: 500, event: false }]);
    expect(s).toMatchObject({ closed: 0, open: 2, openedAfter: null });
  });

  it('uses all history, old open sessions included, when the page of closed sessions is not full', () => {
    const s = buildSample([closed(5_000, 6_000)], [open(1_000)], 10_000, false);
    expect(s).toMatchObject({ closed: 1, open: 1, openedAfter: null });
  });

  it('keeps only the cohort opened after the oldest read session when older closed sessions were not read', () => {
    // Page full: closed sessions opened at or before 3_000 may exist unread, so the open session
    // from 1_000 (a survivor of that cohort) and the ties at 3_000 are left out too.
    const s = buildSample([closed(5_000, 6_000), closed(3_000, 3_500), closed(4_000, 9_000, 'api')], [open(1_000), open(3_000), open(8_000)], 10_000, true);
    expect(s.openedAfter).toBe(3_000);
    expect(s.observations).toEqual([{ time: 1_000, event: true }, { time: 5_000, event: false }, { time: 2_000, event: false }]);
    expect(s).toMatchObject({ closed: 2, events: 1, open: 1 });
  });

  it('never makes a negative length when the clock stepped back', () => {
    const s = buildSample([closed(5_000, 4_000)], [open(12_000)], 10_000, false);
    expect(s.observations.map((o) => o.time)).toEqual([0, 0]);
  });
});
