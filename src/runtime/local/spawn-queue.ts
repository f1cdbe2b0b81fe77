/**
 * Spawns one at a time, each in a turn of the event loop of its own. `child_process.spawn` is
 * synchronous: the fork and exec of a game server hold the event loop for a few milliseconds
 * (more as the control plane's memory grows). A reconcile pass that starts a hundred servers
 * used to run every spawn in one macrotask, so API requests and SDK heartbeats waited for all
 * of them; through this queue they wait for one at most. A turn ends with `setImmediate`, which
 * lets pending I/O callbacks (requests) and timers run before the next spawn.
 */
export class SpawnQueue {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** Runs `spawn` after every earlier one has run and the event loop has turned once since. */
  run<T>(spawn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    this.waiting++;
    return previous.then(async () => {
      this.waiting--;
      try {
        return await spawn();
      } finally {
        setImmediate(release);
      }
    });
  }

  /** Spawns queued and not yet begun (for the bench and tests). */
  get pending(): number {
    return this.waiting;
  }
}
