import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { PeriodicPass } from './periodic.js';

const settle = () => new Promise((r) => setImmediate(r));

describe('PeriodicPass', () => {
  it('runs a pass every interval once started, and none after stop', async () => {
    const clock = new FakeClock(0);
    const at: number[] = [];
    const loop = new PeriodicPass(clock, 100, async () => void at.push(clock.now()));
    clock.advance(500);
    expect(at).toEqual([]);
    loop.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(100);
      await settle();
    }
    expect(at).toEqual([600, 700, 800]);
    await loop.stop();
    clock.advance(1_000);
    await settle();
    expect(at).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it('never overlaps a slow pass with the next, and stop waits for the pass in flight', async () => {
    const clock = new FakeClock(0);
    let inFlight = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const loop = new PeriodicPass(clock, 10, async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise<void>((r) => (release = r));
      inFlight--;
    });
    loop.start();
    clock.advance(10);
    clock.advance(100);
    await settle();
    expect(inFlight).toBe(1);
    let stopped = false;
    const stopping = loop.stop().then(() => void (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect([most, inFlight, stopped]).toEqual([1, 0, true]);
  });

  it('carries on after a pass that fails', async () => {
    const clock = new FakeClock(0);
    let n = 0;
    const loop = new PeriodicPass(clock, 10, async () => {
      n++;
      throw new Error('boom');
    });
    loop.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(10);
      await settle();
    }
    expect(n).toBe(3);
    await loop.stop();
  });
});
