import { describe, expect, it } from 'vitest';
import { sampleRollout, sampleSession } from '../store/fixtures.js';
import { emptyStats } from './player-stats.js';
import { releaseWasClean, summarize } from './summary.js';

describe('demo summary', () => {
  const rollout = sampleRollout({ fromBuild: 'v1', toBuild: 'v2', phase: 'Completed', readyAt: 1000, switchedAt: 1040, completedAt: 9000 });

  it('measures ready→switch and how long the old build took to empty', () => {
    const history = [
      sampleSession({ id: 'a', build: 'v1', state: 'Closed', closedAt: 5040, closeReason: 'ended' }),
      sampleSession({ id: 'b', build: 'v2', state: 'Closed', closedAt: 8000, closeReason: 'ended' }),
    ];
    const s = summarize(rollout, history, { ...emptyStats(), sessionsOpened: 2 });
    expect(s).toMatchObject({ readyToSwitchMs: 40, oldBuildEmptyMs: 4000, switchToCompletedMs: 7960 });
    expect(releaseWasClean(s)).toBe(true);
  });

  it('fails the release when a session was closed because its server stopped', () => {
    const history = [sampleSession({ id: 'a', build: 'v1', state: 'Closed', closedAt: 2000, closeReason: 'server_stopped' })];
    const s = summarize(rollout, history, emptyStats());
    expect(s.closedByServerLoss).toBe(1);
    expect(releaseWasClean(s)).toBe(false);
  });

  it('fails the release when a player saw an interruption', () => {
    expect(releaseWasClean(summarize(rollout, [], { ...emptyStats(), sessionsInterrupted: 1 }))).toBe(false);
  });

  it('fails a release that did not complete', () => {
    expect(releaseWasClean(summarize({ ...rollout, phase: 'Failed' }, [], emptyStats()))).toBe(false);
  });
});
