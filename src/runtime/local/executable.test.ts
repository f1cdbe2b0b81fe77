import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveExecutable } from './executable.js';

describe('resolveExecutable', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'handoff-exe-'));
  const work = path.join(root, 'work');
  const bin = path.join(root, 'bin');
  mkdirSync(path.join(work, 'server'), { recursive: true });
  mkdirSync(bin);
  const file = (p: string, mode: number): string => {
    writeFileSync(p, '#!/bin/sh\n');
    chmodSync(p, mode);
    return p;
  };
  const runnable = file(path.join(work, 'server', 'run.sh'), 0o755);
  const onPath = file(path.join(bin, 'gamesrv'), 0o755);
  file(path.join(work, 'gamesrv-local'), 0o755);
  file(path.join(work, 'notes.txt'), 0o644);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ['an absolute path', runnable, runnable],
    ['a path relative to the working directory', './server/run.sh', runnable],
    ['a relative path without ./', 'server/run.sh', runnable],
    ['a bare name found on PATH', 'gamesrv', onPath],
  ])('finds %s', (_case, executable, expected) => {
    expect(resolveExecutable(executable, work, `/nonexistent${path.delimiter}${bin}`)).toBe(expected);
  });

  it.each([
    ['a missing file', './server/missing.sh', bin],
    ['a file without an execute bit', './notes.txt', bin],
    ['a directory', './server', bin],
    ['a bare name that is not on PATH', 'no-such-binary', bin],
    ['a bare name that only exists in the working directory', 'gamesrv-local', bin],
    ['a bare name when PATH is unset', 'gamesrv', undefined],
    ['an empty name', '', bin],
  ])('refuses %s', (_case, executable, pathEnv) => {
    expect(resolveExecutable(executable, work, pathEnv)).toBeUndefined();
  });
});
