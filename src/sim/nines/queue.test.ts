import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../core/random.js';
import { EndCalendar, EventQueue } from './queue.js';

describe('EventQueue', () => {
  it('pops events by time, and events at the same time in the order they were pushed', () => {
    const random = new SeededRandom(7);
    const q = new EventQueue<{ at: number; n: number }>();
    const pushed: { at: number; n: number }[] = [];
    for (let n = 0; n < 2_000; n++) {
      const e = { at: random.int(0, 50), n };
      pushed.push(e);
      q.push(e);
      // Interleave pops with pushes, as a run does.
      if (n % 7 === 0) {
        const top = q.pop();
        pushed.splice(pushed.indexOf(top as { at: number; n: number }), 1);
        const earliest = Math.min(...pushed.map((p) => p.at), Infinity);
        expect((top as { at: number }).at).toBeLessThanOrEqual(earliest);
      }
    }
    const rest: { at: number; n: number }[] = [];
    for (let e = q.pop(); e; e = q.pop()) rest.push(e);
    expect(rest).toEqual([...pushed].sort((a, b) => a.at - b.at || a.n - b.n));
    expect(q.peekAt()).toBe(Infinity);
  });
});

describe('EndCalendar', () => {
  it('hands each end back in the tick it was queued for, with its server and epoch', () => {
    const cal = new EndCalendar(10);
    cal.add(2, 5, 0);
    cal.add(1, 6, 3);
    cal.add(2, 7, 1);
    const seen: string[][] = [];
    for (let t = 0; t < 4; t++) {
      const tick: string[] = [];
      cal.drain((slot, epoch) => tick.push(`${slot}/${epoch}`));
      seen.push(tick);
    }
    expect(seen).toEqual([[], ['6/3'], ['5/0', '7/1'], []]);
    expect(cal.pending).toBe(0);
  });

  it('queues an end in a tick already drained into the next one, and refuses one beyond its horizon', () => {
    const cal = new EndCalendar(3);
    cal.drain(() => undefined);
    cal.drain(() => undefined);
    cal.add(0, 1, 0);
    const got: number[] = [];
    cal.drain((slot) => got.push(slot));
    expect(got).toEqual([1]);
    expect(() => cal.add(cal.tick + 10, 1, 0)).toThrow(RangeError);
  });

  it('tells a stale epoch (an older session of a server whose sessions were all closed) from the current one', () => {
    expect(EndCalendar.sameEpoch(3, 3)).toBe(true);
    expect(EndCalendar.sameEpoch(3, 4)).toBe(false);
  });
});
