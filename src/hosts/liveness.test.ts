import { describe, expect, it } from 'vitest';
import { hostState, isSchedulable } from './liveness.js';
import type { HostSchedule, HostState } from './model.js';

describe('hostState', () => {
  it.each<[HostSchedule, number, HostState]>([
    ['Ready', 0, 'Ready'],
    ['Ready', 10_000, 'Ready'],
    ['Ready', 10_001, 'Unreachable'],
    ['Cordoned', 5_000, 'Cordoned'],
    ['Cordoned', 60_000, 'Unreachable'],
    ['Draining', 1, 'Draining'],
    ['Draining', 10_001, 'Unreachable'],
  ])('a %s host silent for %i ms (timeout 10 s) is %s', (schedule, silentMs, expected) => {
    expect(hostState({ schedule, lastHeartbeatAt: 1_000_000 }, 1_000_000 + silentMs, 10_000)).toBe(expected);
  });

  it.each<[HostState, boolean]>([
    ['Ready', true],
    ['Cordoned', false],
    ['Draining', false],
    ['Unreachable', false],
  ])('schedules new servers on a %s host: %s', (state, expected) => {
    expect(isSchedulable(state)).toBe(expected);
  });
});
