import { describe, expect, it } from 'vitest';
import { tallySessions, type SessionRecord } from './decide-session.js';
import { emptyStats } from './player-stats.js';
import { formatSummary, summarize, summaryJson, type SummaryInput } from './summary.js';

const rec = (id: string, over: Partial<SessionRecord> = {}): SessionRecord => ({
  id, build: 'v1', playerId: `p-${id}`, closeReason: 'ended', closedAt: 10_000, notices: [], playerOutcome: { kind: 'completed' }, playerClosedAt: 10_000, ...over,
});

const input = (records: SessionRecord[], over: Partial<SummaryInput> = {}): SummaryInput => ({
  strategy: 'blue-green',
  rollout: { id: 'ro_1', phase: 'Completed', message: 'v2 is the fleet\'s build' },
  timedOut: false,
  tally: tallySessions(records),
  players: { ...emptyStats(), sessionsOpened: records.length },
  figures: [{ key: 'readyToSwitchMs', label: 'ready → switch', value: 40, text: '40 ms' }],
  ...over,
});

describe('demo summary', () => {
  it('prints "interrupted without notice 0" for a clean release, and passes', () => {
    const s = summarize(input([rec('a'), rec('b', { closeReason: 'migrated', closedAt: 60_000, notices: [{ kind: 'drain', at: 3_000 }], playerOutcome: { kind: 'migrated' } })]));
    const text = formatSummary(s).split('\n');
    expect(text).toContain('interrupted without notice 0');
    expect(text).toContain('migrated with notice       1 (notice 57.0 s before)');
    expect(text).toContain('ready → switch             40 ms');
    expect(text.at(-1)).toBe('result                     PASS: no player was disconnected without notice');
    expect(s.passed).toBe(true);
  });

  it('separates crashes from interruptions: a crash alone does not fail the release', () => {
    const s = summarize(input([rec('a', { closeReason: 'server_crashed', playerOutcome: { kind: 'interrupted', cause: 'close:1006' } })]));
    expect(s).toMatchObject({ interruptedWithoutNotice: 0, sessions: { lostToServerCrashes: 1 }, passed: true });
    expect(formatSummary(s)).toContain("lost to server crashes     1 (the build's fault, not the release's)");
  });

  it('fails a release that stopped a server under a session, and says the players did not see it', () => {
    const s = summarize(input([rec('a', { closeReason: 'server_stopped' })]));
    expect(s).toMatchObject({ interruptedWithoutNotice: 1, passed: false });
    const text = formatSummary(s);
    expect(text).toContain('interrupted without notice 1');
    expect(text).toContain('players and control plane disagree: players saw 0 cut off, the control plane recorded 1');
    expect(text).toContain('FAIL: players were disconnected without notice');
  });

  it('shows the maintenance window\'s notice lead', () => {
    const closed = (id: string, noticeAt: number) => rec(id, { closeReason: 'maintenance', closedAt: 20_000, notices: [{ kind: 'maintenance', at: noticeAt }], playerOutcome: { kind: 'migrated' } });
    expect(formatSummary(summarize(input([closed('a', 8_000), closed('b', 10_000)])))).toContain('closed by maintenance      2 (notice 10.0 s–12.0 s before)');
  });

  it('prints a close reason it does not know by name, with notice, on its own line', () => {
    const s = summarize(input([rec('a', { closeReason: 'drained', notices: [{ kind: 'drain', at: 1 }] })]));
    expect(formatSummary(s)).toContain('closed with notice         1 (reason drained)');
  });

  it.each([
    ['did not complete', { rollout: { id: 'ro_1', phase: 'Failed', message: 'smoke check failed' } }],
    ['ran out of time', { timedOut: true, rollout: { id: 'ro_1', phase: 'Draining', message: '' } }],
  ])('fails a release that %s, even with nobody interrupted', (_name, over) => {
    const s = summarize(input([rec('a')], over));
    expect(s).toMatchObject({ interruptedWithoutNotice: 0, passed: false });
    expect(formatSummary(s)).toContain('FAIL: the release did not complete');
  });

  it('gives the JSON the interruptedWithoutNotice field and the figures by key', () => {
    const json = summaryJson(summarize(input([rec('a'), rec('b', { closeReason: null, closedAt: null, playerOutcome: null })])));
    expect(json).toMatchObject({
      strategy: 'blue-green', interruptedWithoutNotice: 0, passed: true,
      sessions: { total: 2, endedNormally: 1, stillPlaying: 1, lostToServerCrashes: 0 },
      crossCheck: { playersView: 0, controlPlaneView: 0, agree: true },
      figures: { readyToSwitchMs: 40 },
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});

describe('demo summary of a release meant to be rolled back', () => {
  it('passes a faulty build\'s release only when the scenario says it was rolled back, and says why not otherwise', () => {
    const failed = { id: 'ro_1', phase: 'Failed', message: 'step 2/3: analysis failed' };
    const crashed = rec('a', { build: 'v2', closeReason: 'server_crashed', playerOutcome: { kind: 'interrupted', cause: 'close:1006' } });
    const ok = summarize(input([crashed], { rollout: failed, releaseEnd: { ok: true, problem: '' } }));
    expect(ok).toMatchObject({ passed: true, interruptedWithoutNotice: 0, sessions: { lostToServerCrashes: 1 } });
    const notRolledBack = summarize(input([crashed], { releaseEnd: { ok: false, problem: 'the faulty build was not rolled back by its analysis' } }));
    expect(notRolledBack.passed).toBe(false);
    expect(formatSummary(notRolledBack)).toContain('FAIL: the faulty build was not rolled back by its analysis');
  });
});
