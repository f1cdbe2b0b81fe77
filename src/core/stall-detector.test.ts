import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { StallDetector } from './stall-detector.js';

function started(opts: { onStall?: (gapMs: number) => void } = {}) {
  const clock = new FakeClock();
  const detector = new StallDetector(clock, { tickMs: 250, thresholdMs: 1_000, ...opts });
  detector.start();
  return { clock, detector, startedAt: clock.now() };
}

describe('StallDetector', () => {
  it('observes from its start while the heartbeat keeps time', () => {
    const { clock, detector, startedAt } = started();
    clock.advance(60_000);
    expect(detector.observingSince()).toBe(startedAt);
  });

  it('marks the end of a pause the heartbeat could not run through', () => {
    const stalls: number[] = [];
    const { clock, detector } = started({ onStall: (gap) => stalls.push(gap) });
    clock.advance(10_000);
    clock.jump(20_000);
    const resumedAt = clock.now();
    clock.advance(0);
    expect(detector.observingSince()).toBe(resumedAt);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]).toBeGreaterThanOrEqual(20_000);
  });

  it('sees the pause on a read that comes before the late heartbeat', () => {
    const { clock, detector } = started();
    clock.advance(1_000);
    clock.jump(20_000);
    // No timer has run yet: the reconciler's pass may be the first thing to run after a resume.
    expect(detector.observingSince()).toBe(clock.now());
  });

  it('does not count a heartbeat that is late by less than the threshold', () => {
    const { clock, detector, startedAt } = started();
    clock.advance(1_000);
    clock.jump(900);
    clock.advance(1_000);
    expect(detector.observingSince()).toBe(startedAt);
  });

  it('stops its heartbeat when stopped', () => {
    const { clock, detector } = started();
    detector.stop();
    clock.advance(10_000);
    // Nothing ran for 10 s: a read after stop() sees that as a stall, which is the safe reading.
    expect(detector.observingSince()).toBe(clock.now());
  });
});
