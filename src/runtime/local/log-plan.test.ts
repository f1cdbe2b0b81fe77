import { describe, expect, it } from 'vitest';
import { parseLogName, planLogs, type LogFileView, type LogPolicy } from './log-plan.js';

const now = 10_000_000;
const policy: LogPolicy = { maxBytes: 100, files: 2, retainMs: 1_000 };
const f = (name: string, size: number, age = 0): LogFileView => ({ name, size, mtimeMs: now - age });

describe('planLogs', () => {
  it.each([
    ['leaves a small live log alone', [f('a.log', 100)], ['a'], []],
    ['rotates a live log past its size limit', [f('a.log', 101)], ['a'], [{ kind: 'rotate', serverId: 'a' }]],
    ['rotates a gone server that still wrote recently (its last lines matter)', [f('a.log', 500)], [], [{ kind: 'rotate', serverId: 'a' }]],
    ['removes rotated files beyond the count', [f('a.log', 1), f('a.log.1', 1), f('a.log.2', 1), f('a.log.3', 1), f('a.log.10', 1)], ['a'], [{ kind: 'remove', serverId: 'a', names: ['a.log.10', 'a.log.3'] }]],
    ['removes every file of a gone server once quiet past the retention', [f('a.log', 5, 2_000), f('a.log.1', 100, 3_000)], [], [{ kind: 'remove', serverId: 'a', names: ['a.log', 'a.log.1'] }]],
    ['keeps a gone server whose newest file is within the retention', [f('a.log', 5, 500), f('a.log.1', 100, 3_000)], [], []],
    ['never removes a running server however quiet', [f('a.log', 5, 99_000)], ['a'], []],
    ['ignores files that are not logs', [f('notes.txt', 5_000, 99_000)], [], []],
  ] as const)('%s', (_name, files, running, actions) => {
    expect(planLogs(files, new Set(running), now, policy)).toEqual(actions);
  });

  it('handles server ids with dots', () => {
    expect(parseLogName('srv.eu.1.log.2')).toEqual({ serverId: 'srv.eu.1', index: 2 });
    expect(parseLogName('srv.eu.1.log')).toEqual({ serverId: 'srv.eu.1', index: 0 });
  });
});
