import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ProcessTracker } from './process-tracker.js';

/** A child that starts a detached grandchild, prints its pid and exits, orphaning it. */
const orphaning = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { detached: true, stdio: 'ignore' }); c.unref(); console.log(c.pid); setTimeout(() => {}, 300)`;

describe('ProcessTracker (the suite leak guard)', () => {
  it('still counts a process it saw once its parent has died and it was reparented out of the tree', async () => {
    const tracker = new ProcessTracker();
    const child = spawn(process.execPath, ['-e', orphaning], { stdio: ['ignore', 'pipe', 'ignore'] });
    const [line] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
    const grandchild = Number(line.trim());
    tracker.sample();
    expect(tracker.survivors().map((p) => p.pid)).toEqual(expect.arrayContaining([child.pid, grandchild]));
    await once(child, 'exit');
    try {
      expect(tracker.survivors().map((p) => p.pid)).toEqual([grandchild]);
      expect(tracker.survivors()[0]?.command).toContain('setInterval');
    } finally {
      process.kill(grandchild, 'SIGKILL');
    }
    await expect.poll(() => tracker.survivors()).toEqual([]);
  });
});
