/**
 * Suite-level leak guard (a vitest setup file, so it runs in every test file's worker): fails
 * the file when a process it started — a game server, a control plane, a fixture, or anything
 * they started — still runs after the file's own tests and hooks have finished. A test that
 * forgets to stop what it started would otherwise pass and leave the process to disturb every
 * later test (ports, CPU, /proc scans) and the machine.
 */
import { setInterval, setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';
import { ProcessTracker } from './process-tracker.js';

/** Often enough to see a process before its parent dies and it is reparented out of the tree. */
const SAMPLE_MS = 200;
/** What a process just signalled (SIGTERM with a short grace, SIGKILL not yet reaped) may take. */
const EXIT_GRACE_MS = 5_000;

const tracker = new ProcessTracker();
const sampling = new AbortController();

beforeAll(() => {
  tracker.sample();
  // node:timers/promises, not the global timers a test may fake.
  void (async () => {
    for await (const _ of setInterval(SAMPLE_MS, undefined, { signal: sampling.signal, ref: false })) tracker.sample();
  })().catch(() => undefined);
});

// Registered before the file's own hooks, so it runs after them (vitest runs afterAll as a stack).
afterAll(async () => {
  sampling.abort();
  tracker.sample();
  const deadline = performance.now() + EXIT_GRACE_MS;
  let left = tracker.survivors();
  while (left.length > 0 && performance.now() < deadline) {
    await delay(50, undefined, { ref: false });
    left = tracker.survivors();
  }
  if (left.length === 0) return;
  // Do not let them disturb the next file either.
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  throw new Error(`this test file left ${left.length} process(es) running after its tests:\n${left.map((p) => `  pid ${p.pid}: ${p.command}`).join('\n')}`);
}, EXIT_GRACE_MS + 5_000);
