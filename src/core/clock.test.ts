import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { SeededRandom } from './random.js';

describe('FakeClock', () => {
  it('fires timers by due time, and timers due at the same instant in the order they were set', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => fired.push('a@10'), 10);
    clock.setTimeout(() => fired.push('c@20'), 20);
    clock.setTimeout(() => fired.push('d@30'), 30);
    clock.advance(25);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(25);
  });

  it('runs a timer set by a firing timer in the same advance when it falls due before the target, at its own time', () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => seen.push(clock.now()), 5), 10);
    clock.advance(100);
    expect(seen).toEqual([15]);
  });

  it('never fires a cleared timer, even one cleared by an earlier timer of the same advance', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    const later = clock.setTimeout(() => fired.push('later'), 20);
    clock.setTimeout(() => clock.clearTimeout(later), 10);
    clock.advance(50);
    expect(fired).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('fires overdue timers late, at the current time, after a jump', () => {
    const clock = new FakeClock(0);
    const at: number[] = [];
    clock.setTimeout(() => at.push(clock.now()), 10);
    clock.jump(50);
    clock.advance(0);
    expect(at).toEqual([50]);
  });

  it('fires many random timers in exactly the order a sort by (due, scheduled) gives', () => {
    const clock = new FakeClock(0);
    const random = new SeededRandom(7);
    const expected: { at: number; n: number }[] = [];
    const fired: number[] = [];
    for (let n = 0; n < 2_000; n++) {
      const at = random.int(0, 500);
      const handle = clock.setTimeout(() => fired.push(n), at);
      if (random.chance(0.2)) clock.clearTimeout(handle);
      else expected.push({ at, n });
    }
    clock.advance(1_000);
    expect(fired).toEqual(expected.sort((a, b) => a.at - b.at || a.n - b.n).map((e) => e.n));
  });
});
