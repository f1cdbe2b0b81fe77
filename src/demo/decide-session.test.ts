import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloseReasons } from '../session/model.js';
import { categorize, judgeSession, standingNoticeAt, tallySessions, type SessionCategory, type SessionRecord } from './decide-session.js';
import type { SessionOutcome } from './player-outcome.js';

const rec = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  id: 'ses_1', build: 'v1', playerId: 'p1', closeReason: 'ended', closedAt: 10_000, notices: [], playerOutcome: null, playerClosedAt: null, ...over,
});

describe('categorize: every close reason, with and without a notice before it', () => {
  // `maintenance` is the maintenance strategy's new reason, `drained` stands for any reason a later strategy adds.
  const table: [string | null, SessionCategory, SessionCategory][] = [
    // reason, without notice, with notice
    [null, 'open', 'open'],
    ['ended', 'ended', 'ended'],
    ['disconnected', 'ended', 'ended'],
    ['expired', 'ended', 'ended'],
    ['roster', 'ended', 'ended'],
    ['migrated', 'interrupted', 'migrated'],
    ['api', 'interrupted', 'migrated'],
    ['server_crashed', 'crashed', 'crashed'],
    ['error', 'crashed', 'crashed'],
    ['host_lost', 'crashed', 'crashed'],
    ['server_stopped', 'interrupted', 'interrupted'],
    ['maintenance', 'interrupted', 'maintenance'],
    ['drained', 'interrupted', 'announced'],
  ];

  it.each(table)('%s → %s without a notice, %s with one', (reason, without, withNotice) => {
    expect(categorize(reason, false)).toBe(without);
    expect(categorize(reason, true)).toBe(withNotice);
  });

  it('has a row for every close reason the session model knows', () => {
    expect(CloseReasons.filter((r) => !table.some(([reason]) => reason === r))).toEqual([]);
  });
});

describe('standingNoticeAt', () => {
  it.each<[string, { kind: string; at: number }[], number, number | null]>([
    ['no notice', [], 100, null],
    ['the first notice before the close', [{ kind: 'drain', at: 40 }, { kind: 'drain', at: 60 }], 100, 40],
    ['a notice at the very moment of the close still counts', [{ kind: 'maintenance', at: 100 }], 100, 100],
    ['a notice after the close does not count', [{ kind: 'drain', at: 101 }], 100, null],
    ['a cancelled drain withdraws its notice', [{ kind: 'drain', at: 10 }, { kind: 'drain-cancelled', at: 20 }], 100, null],
    ['a new notice after a cancel counts from itself', [{ kind: 'drain', at: 10 }, { kind: 'drain-cancelled', at: 20 }, { kind: 'drain', at: 30 }], 100, 30],
    ['notices are read in time order whatever order they were logged in', [{ kind: 'drain', at: 30 }, { kind: 'drain-cancelled', at: 20 }, { kind: 'drain', at: 10 }], 100, 30],
    ['any kind of notice announces a move (a migration notice a strategy adds)', [{ kind: 'migration', at: 5 }], 100, 5],
  ])('%s', (_name, notices, before, expected) => {
    expect(standingNoticeAt(notices, before)).toBe(expected);
  });
});

describe('judgeSession', () => {
  const cut: SessionOutcome = { kind: 'interrupted', cause: 'close:1006' };
  const drainAt = (at: number) => [{ kind: 'drain', at }];

  it.each<[string, Partial<SessionRecord>, SessionCategory, boolean]>([
    ['a session the player left normally ended normally', { playerOutcome: { kind: 'completed' } }, 'ended', false],
    ['a migration after a drain notice is a migration with notice', { closeReason: 'migrated', notices: drainAt(3000), playerOutcome: { kind: 'migrated' } }, 'migrated', false],
    ['a migration nobody announced is an interruption, for both views', { closeReason: 'migrated', playerOutcome: { kind: 'migrated' } }, 'interrupted', false],
    ['a crash is the build\'s fault, and the player seeing a dropped socket agrees', { closeReason: 'server_crashed', playerOutcome: cut }, 'crashed', false],
    ['a player cut off counts even where the control plane recorded a normal end', { closeReason: 'ended', playerOutcome: cut }, 'interrupted', true],
    ['a player cut off counts while the control plane still has the session open', { closeReason: null, closedAt: null, playerOutcome: cut, playerClosedAt: 9000 }, 'interrupted', true],
    ['a stopped server counts even where the player saw a normal end', { closeReason: 'server_stopped', playerOutcome: { kind: 'completed' } }, 'interrupted', true],
    ['a session the player has not seen end is judged by the control plane alone', { closeReason: 'server_stopped' }, 'interrupted', false],
    ['a maintenance close after its notice is planned downtime', { closeReason: 'maintenance', notices: [{ kind: 'maintenance', at: 1000 }], playerOutcome: { kind: 'migrated' } }, 'maintenance', false],
  ])('%s', (_name, over, category, disagrees) => {
    const v = judgeSession(rec(over));
    expect(v.category).toBe(category);
    expect(v.disagreement !== null).toBe(disagrees);
  });

  it('says how long before a planned close the notice came', () => {
    expect(judgeSession(rec({ closeReason: 'maintenance', closedAt: 10_000, notices: [{ kind: 'maintenance', at: 2_000 }] })).noticeLeadMs).toBe(8_000);
  });

  it('names the session, the player and both views in a disagreement', () => {
    const v = judgeSession(rec({ closeReason: 'ended', playerOutcome: { kind: 'interrupted', cause: 'close:1006' } }));
    expect(v.disagreement).toBe('ses_1 (p1 on v1): the player saw close:1006, the control plane recorded ended, no notice');
  });
});

describe('tallySessions', () => {
  it('counts each session once, by category, with the notice leads and both views', () => {
    const t = tallySessions([
      rec({ id: 'a' }),
      rec({ id: 'b', closeReason: null, closedAt: null, build: 'v2' }),
      rec({ id: 'c', closeReason: 'migrated', closedAt: 60_000, notices: [{ kind: 'drain', at: 3_000 }] }),
      rec({ id: 'd', closeReason: 'maintenance', closedAt: 20_000, notices: [{ kind: 'maintenance', at: 8_000 }] }),
      rec({ id: 'e', closeReason: 'maintenance', closedAt: 20_000, notices: [{ kind: 'maintenance', at: 10_000 }] }),
      rec({ id: 'f', closeReason: 'server_crashed', playerOutcome: { kind: 'interrupted', cause: 'close:1006' } }),
      rec({ id: 'g', closeReason: 'server_stopped' }),
      rec({ id: 'h', closeReason: 'drained', notices: [{ kind: 'drain', at: 1 }] }),
    ]);
    expect(t.counts).toEqual({ open: 1, ended: 1, migrated: 1, maintenance: 2, announced: 1, crashed: 1, interrupted: 1 });
    expect(t.byBuild).toEqual({ v1: 7, v2: 1 });
    expect(t.noticeLeadMs).toEqual({ migrated: { min: 57_000, max: 57_000 }, maintenance: { min: 10_000, max: 12_000 }, announced: { min: 9_999, max: 9_999 } });
    expect(t.announcedReasons).toEqual({ drained: 1 });
    expect(t).toMatchObject({ playersSawCut: 1, controlPlaneCut: 2, disagreements: [] });
  });

  const reason = fc.constantFrom<string | null>(null, ...CloseReasons, 'maintenance', 'drained');
  const outcome = fc.constantFrom<SessionOutcome | null>(null, { kind: 'completed' }, { kind: 'migrated' }, { kind: 'interrupted', cause: 'close:1006' });
  const record = fc.record({
    id: fc.uuid(), build: fc.constantFrom('v1', 'v2'), playerId: fc.constantFrom('p1', 'p2'), closeReason: reason,
    closedAt: fc.option(fc.nat(1000)), notices: fc.array(fc.record({ kind: fc.constantFrom('drain', 'drain-cancelled', 'maintenance'), at: fc.nat(1000) }), { maxLength: 3 }),
    playerOutcome: outcome, playerClosedAt: fc.option(fc.nat(1000)),
  });

  it('never lets a session the player saw cut off (and no crash, lost host or game error) count as anything but an interruption', () => {
    fc.assert(fc.property(fc.array(record, { maxLength: 30 }), (records) => {
      const t = tallySessions(records);
      expect(Object.values(t.counts).reduce((a, b) => a + b, 0)).toBe(records.length);
      const mustCount = records.filter((r) => (r.closeReason === 'server_stopped' || judgeSession(r).playerCut === true) && r.closeReason !== 'server_crashed' && r.closeReason !== 'error' && r.closeReason !== 'host_lost').length;
      expect(t.counts.interrupted).toBeGreaterThanOrEqual(mustCount);
      expect(t.counts.interrupted).toBeGreaterThanOrEqual(t.playersSawCut - t.counts.crashed);
    }));
  });
});
