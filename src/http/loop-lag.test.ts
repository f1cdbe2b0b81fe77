import { describe, expect, it } from 'vitest';
import { LoopLag } from './loop-lag.js';

const busy = (ms: number): void => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // The monitor's timer cannot fire meanwhile.
  }
};
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LoopLag', () => {
  it('ignores one long pause (a GC, start-up) but reports a loop that is late on every tick', async () => {
    const lag = new LoopLag(5, 4);
    try {
      await tick(40);
      busy(150);
      await tick(1);
      expect(lag.currentMs).toBeLessThan(100);
      // Saturated: every tick comes late.
      for (let i = 0; i < 6; i++) {
        busy(60);
        await tick(1);
      }
      expect(lag.currentMs).toBeGreaterThan(30);
      await tick(150);
      expect(lag.currentMs).toBeLessThan(30);
    } finally {
      lag.close();
    }
  });
});
