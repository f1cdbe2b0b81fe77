import { describe, expect, it } from 'vitest';
import { formatAge, formatCounts, formatDuration, formatTime, orDash, renderTable, truncate } from './table.js';

describe('renderTable', () => {
  it('aligns columns two spaces apart with no trailing whitespace', () => {
    const table = renderTable(
      ['NAME', 'BUILD', 'ROLLOUT'],
      [
        ['arena', 'arena-1', '-'],
        ['deathmatch-eu', 'dm-7', 'ro_1'],
      ],
    );
    expect(table).toBe(
      ['NAME           BUILD    ROLLOUT', 'arena          arena-1  -', 'deathmatch-eu  dm-7     ro_1'].join('\n'),
    );
  });

  it('lets the last column run long without padding it', () => {
    expect(renderTable(['A', 'MESSAGE'], [['x', 'a long message'], ['y', '']])).toBe('A  MESSAGE\nx  a long message\ny');
  });

  it('counts characters, not UTF-16 units, so a non-ASCII name does not skew alignment', () => {
    expect(renderTable(['A', 'B'], [['a→b', '1'], ['𝔞', '2']])).toBe('A    B\na→b  1\n𝔞    2');
  });

  it('renders just the header for no rows, and blank cells for short rows', () => {
    expect(renderTable(['ID', 'STATE'], [])).toBe('ID  STATE');
    expect(renderTable(['ID', 'STATE', 'AGE'], [['srv_1']])).toBe('ID     STATE  AGE\nsrv_1');
  });
});

describe('formatAge', () => {
  const now = 1_000_000_000_000;
  it.each([
    [0, '0s'],
    [12_000, '12s'],
    [59_999, '59s'],
    [60_000, '1m'],
    [3 * 60_000 + 59_000, '3m'],
    [2 * 3_600_000, '2h'],
    [47 * 3_600_000, '47h'],
    [4 * 86_400_000, '4d'],
  ])('shows %i ms ago as %s', (ago, text) => {
    expect(formatAge(now - ago, now)).toBe(text);
  });

  it('shows a time in the future (clock skew) as 0s rather than negative', () => {
    expect(formatAge(now + 5000, now)).toBe('0s');
  });
});

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [45_000, '45s'],
    [60_000, '1m'],
    [80_000, '1m20s'],
    [3_600_000, '1h'],
    [2 * 3_600_000 + 5 * 60_000 + 30_000, '2h5m'],
    [-10, '0ms'],
  ])('shows %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatCounts', () => {
  it('lists non-zero counts in lifecycle order, unknown states last', () => {
    const order = ['Starting', 'Ready', 'Active', 'Draining'];
    expect(formatCounts({ Zombie: 1, Draining: 2, Ready: 1, Starting: 0, Active: 3 }, order)).toBe(
      'Ready:1 Active:3 Draining:2 Zombie:1',
    );
  });

  it('shows - when everything is zero', () => {
    expect(formatCounts({ Ready: 0 })).toBe('-');
    expect(formatCounts({})).toBe('-');
  });
});

describe('formatTime, truncate and orDash', () => {
  it('prints instants as UTC to the second', () => {
    expect(formatTime(Date.UTC(2026, 0, 1, 12, 0, 3, 456))).toBe('2026-01-01T12:00:03Z');
  });

  it('cuts long text with an ellipsis and folds newlines', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('a\n b', 10)).toBe('a b');
  });

  it('renders missing values as -', () => {
    expect([null, undefined, '', 0, 'x'].map(orDash)).toEqual(['-', '-', '-', '0', 'x']);
  });
});
