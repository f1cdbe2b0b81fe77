import { describe, expect, it } from 'vitest';
import { nextAttempt, type AttemptOutcome } from './reconnect.js';

const urls = ['http://a:7350', 'http://b:7350', 'http://c:7350'];
const notLeader: AttemptOutcome = { kind: 'not-leader' };

describe('nextAttempt', () => {
  it.each([
    { name: 'a follower refusal moves to the next URL at once', current: 0, outcome: notLeader, quick: 0, want: { index: 1, delayMs: 0, quick: 1 } },
    { name: 'a follower naming the leader sends the agent straight to it', current: 0, outcome: { kind: 'not-leader', leaderUrl: 'http://c:7350/' } as AttemptOutcome, quick: 0, want: { index: 2, delayMs: 0, quick: 1 } },
    { name: 'a named leader outside the list is ignored: the next URL is tried', current: 1, outcome: { kind: 'not-leader', leaderUrl: 'http://10.0.0.9:7350' } as AttemptOutcome, quick: 0, want: { index: 2, delayMs: 0, quick: 1 } },
    { name: 'a follower naming itself does not loop on itself', current: 1, outcome: { kind: 'not-leader', leaderUrl: 'http://b:7350' } as AttemptOutcome, quick: 0, want: { index: 2, delayMs: 0, quick: 1 } },
    { name: 'the list wraps around', current: 2, outcome: notLeader, quick: 1, want: { index: 0, delayMs: 0, quick: 2 } },
    { name: 'once every URL refused in a row the agent waits before the next round', current: 2, outcome: notLeader, quick: 2, want: { index: 0, delayMs: 1000, quick: 0 } },
    { name: 'a failed connection waits and moves on', current: 0, outcome: { kind: 'failed' } as AttemptOutcome, quick: 1, want: { index: 1, delayMs: 1000, quick: 0 } },
  ])('$name', ({ current, outcome, quick, want }) => {
    expect(nextAttempt({ urls, current, outcome, quick, reconnectMs: 1000 })).toEqual(want);
  });

  it('with a single URL a refusal always waits (nothing else to try)', () => {
    expect(nextAttempt({ urls: ['http://a:7350'], current: 0, outcome: notLeader, quick: 0, reconnectMs: 500 })).toEqual({ index: 0, delayMs: 500, quick: 0 });
  });
});
