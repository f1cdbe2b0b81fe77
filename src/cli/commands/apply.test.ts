import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage.js';
import { parseApply, renderApplyResult } from './apply.js';

describe('parseApply', () => {
  it('takes the manifest from -f, --file or stdin', () => {
    expect(parseApply(['-f', 'arena.yaml'])).toMatchObject({ help: false, input: { file: 'arena.yaml' } });
    expect(parseApply(['--file=arena.yaml'])).toMatchObject({ input: { file: 'arena.yaml' } });
    expect(parseApply(['-f', '-'])).toMatchObject({ input: { file: '-' } });
  });

  it('requires -f and refuses a bare file name', () => {
    expect(() => parseApply([])).toThrow(UsageError);
    expect(() => parseApply(['arena.yaml'])).toThrow(/unexpected argument "arena.yaml"/);
  });
});

describe('renderApplyResult', () => {
  it('prints one line per object with what happened to it', () => {
    expect(
      renderApplyResult({
        builds: [{ id: 'arena-1', result: 'unchanged' }],
        fleets: [{ name: 'arena', result: 'created' }],
      }),
    ).toBe('build/arena-1 unchanged\nfleet/arena created');
  });
});
