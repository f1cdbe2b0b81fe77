import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideCheckpoint, DefaultCheckpointPolicy, resolveCheckpointPolicy, type WalState } from './checkpoint-policy.js';

const policy = { intervalMs: 1_000, maxWalBytes: 1_000_000, idleAfterMs: 10_000, truncateWaitMs: 200 };
const at = (s: Partial<WalState>): WalState => ({ now: 100_000, walBytes: 0, usedBytes: 0, commitsSinceCheckpoint: 0, lastCommitAt: 0, ...s });

describe('decideCheckpoint', () => {
  it.each([
    ['does nothing with an empty WAL and no commits', at({}), 'none'],
    ['copies frames without blocking writers after a commit', at({ walBytes: 4_096, commitsSinceCheckpoint: 3, lastCommitAt: 99_000 }), 'passive'],
    ['rewinds a WAL whose content reached its bound, even under load', at({ walBytes: 1_000_000, usedBytes: 1_000_000, commitsSinceCheckpoint: 50, lastCommitAt: 99_999 }), 'restart'],
    ['keeps writing into a rewound WAL that is as large as its bound', at({ walBytes: 1_200_000, usedBytes: 40_000, commitsSinceCheckpoint: 5, lastCommitAt: 99_999 }), 'passive'],
    ['waits while the last commit is recent', at({ walBytes: 4_096, lastCommitAt: 95_000 }), 'none'],
    ['truncates once writes have been quiet for idleAfterMs', at({ walBytes: 4_096, lastCommitAt: 90_000 }), 'truncate'],
    ['leaves an already empty WAL alone when idle', at({ walBytes: 0, lastCommitAt: 0 }), 'none'],
  ] as const)('%s', (_name, state, action) => {
    expect(decideCheckpoint(state, policy)).toBe(action);
  });

  it('never lets WAL content at or over its bound go without a rewind', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), fc.nat(), (extra, file, commits, lastCommitAt) => {
        const s = at({ walBytes: file, usedBytes: policy.maxWalBytes + extra, commitsSinceCheckpoint: commits, lastCommitAt });
        expect(decideCheckpoint(s, policy)).toBe('restart');
      }),
    );
  });
});

describe('resolveCheckpointPolicy', () => {
  it('fills the defaults', () => {
    expect(resolveCheckpointPolicy()).toEqual(DefaultCheckpointPolicy);
  });

  it('refuses a non-positive setting', () => {
    expect(() => resolveCheckpointPolicy({ maxWalBytes: 0 })).toThrow(RangeError);
  });
});
