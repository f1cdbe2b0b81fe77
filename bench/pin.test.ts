import { describe, expect, it } from 'vitest';
import { expandCpuList } from './pin.js';

describe('expandCpuList', () => {
  it.each<[string, number[]]>([
    ['0-1', [0, 1]],
    ['3', [3]],
    ['0-2,5,7-8', [0, 1, 2, 5, 7, 8]],
    ['', []],
  ])('reads the kernel CPU list "%s" as %j', (list, cpus) => {
    expect(expandCpuList(list)).toEqual(cpus);
  });
});
