import { describe, expect, it } from 'vitest';
import { pickServers } from './blast-radius.js';
import type { ServerInfo } from './ports.js';

const srv = (id: string, sessions = 0, state = 'Ready', pid: number | null = 100, fleet = 'arena'): ServerInfo => ({ id, fleet, state, pid, sessions });

describe('pickServers', () => {
  const fleet = [srv('a', 3), srv('b', 0), srv('c', 1), srv('d', 0, 'Stopped'), srv('e', 0, 'Starting'), srv('f', 0, 'Ready', null), srv('g', 0, 'Ready', 1, 'other')];

  it.each([
    [{ fleet: 'arena', count: 1 }, ['b']],
    [{ fleet: 'arena', count: 2 }, ['b', 'c']],
    [{ fleet: 'arena', count: 10 }, ['b', 'c', 'a']],
    [{ fleet: 'arena', percent: 50 }, ['b', 'c']],
    [{ fleet: 'arena', percent: 34 }, ['b', 'c']],
    [{ fleet: 'arena', percent: 33 }, ['b']],
    [{ fleet: 'arena', percent: 100 }, ['b', 'c', 'a']],
    [{ fleet: 'nope', percent: 100 }, []],
  ])('takes %j as %j: running servers with a pid, fewest sessions first', (radius, want) => {
    expect(pickServers(fleet, radius).map((s) => s.id)).toEqual(want);
  });

  it('never takes more servers than the radius, whatever the fleet', () => {
    for (let n = 0; n < 20; n++) {
      const many = Array.from({ length: n }, (_, i) => srv(`s${i}`, i % 3));
      expect(pickServers(many, { fleet: 'arena', count: 3 }).length).toBe(Math.min(3, n));
      expect(pickServers(many, { fleet: 'arena', percent: 25 }).length).toBe(Math.ceil(n / 4));
    }
  });
});
