import { describe, expect, it } from 'vitest';
import { parseProcStat, pidExists, processIdentity, readBootId, readProcStat } from './proc.js';

// Fields 3..22 of a real stat line; field 22 (start time) is 48468.
const TAIL = 'S 5559 5559 2565 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 48468 3133440 388 18446744073709551615';

describe('parseProcStat', () => {
  it.each([
    ['a plain name', `5563 (cat) ${TAIL}`],
    ['spaces in the name', `5563 (my game server) ${TAIL}`],
    ['parentheses in the name', `5563 (srv) (x) ${TAIL}`],
    ['a name that looks like stat fields', `5563 (a) S 1 2 3) ${TAIL}`],
    ['a trailing newline', `5563 (cat) ${TAIL}\n`],
  ])('reads the state, process group and start time behind %s', (_case, line) => {
    expect(parseProcStat(line)).toEqual({ state: 'S', startTicks: '48468', pgrp: 5559 });
  });

  it.each([
    ['no parentheses', `5563 cat ${TAIL}`],
    ['a truncated line', '5563 (cat) S 5559 5559'],
    ['a non-numeric start time', `5563 (cat) ${TAIL.replace('48468', 'x')}`],
  ])('refuses %s', (_case, line) => {
    expect(parseProcStat(line)).toBeUndefined();
  });
});

describe('process identity', () => {
  const bootId = readBootId();

  it('is stable for a live process and tied to this boot', () => {
    const identity = processIdentity(process.pid, bootId);
    expect(identity).toBe(`${bootId}:${readProcStat(process.pid)?.startTicks}`);
    expect(processIdentity(process.pid, bootId)).toBe(identity);
  });

  it('is undefined for a PID that does not exist', () => {
    // Above the largest pid_max Linux allows (2^22), so never a live process.
    expect(processIdentity(2 ** 22 + 1, bootId)).toBeUndefined();
    expect(pidExists(2 ** 22 + 1)).toBe(false);
  });
});
