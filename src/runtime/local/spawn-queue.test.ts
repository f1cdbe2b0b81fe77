import { describe, expect, it } from 'vitest';
import { SpawnQueue } from './spawn-queue.js';

describe('SpawnQueue', () => {
  it('runs spawns one at a time, in the order asked', async () => {
    const queue = new SpawnQueue();
    const log: string[] = [];
    let active = 0;
    const task = (id: number) => async () => {
      active++;
      expect(active).toBe(1);
      log.push(`start ${id}`);
      await new Promise((r) => setTimeout(r, 2));
      log.push(`end ${id}`);
      active--;
      return id;
    };
    expect(await Promise.all([1, 2, 3].map((id) => queue.run(task(id))))).toEqual([1, 2, 3]);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('lets the event loop turn between two synchronous spawns', async () => {
    const queue = new SpawnQueue();
    const log: string[] = [];
    const runs = [1, 2, 3].map((id) => queue.run(async () => void log.push(`spawn ${id}`)));
    // Queued after the spawns were asked for, as a request arriving meanwhile would be.
    setImmediate(() => log.push('io'));
    await Promise.all(runs);
    expect(log.indexOf('io')).toBeGreaterThan(0);
    expect(log.indexOf('io')).toBeLessThan(log.length - 1);
  });

  it('goes on after a spawn that fails', async () => {
    const queue = new SpawnQueue();
    const failed = queue.run(async () => {
      throw new Error('ENOENT');
    });
    await expect(failed).rejects.toThrow('ENOENT');
    expect(await queue.run(async () => 'next')).toBe('next');
    expect(queue.pending).toBe(0);
  });
});
