/**
 * Re-adoption fleet by fleet after a large cold start (issue 8: 100,000 servers). Re-adopting
 * every server before the API listens cost about a second at that size; instead the control
 * plane listens first and adopts here, one fleet after another in the background, while an
 * allocation for a fleet not adopted yet has that fleet adopted first (ahead of the queue).
 *
 * What keeps this as safe as adopting everything first:
 * - an allocation waits for its fleet (`fleet`) before it reads the capacity index, and the
 *   index of a fleet is built on first use (`CapacityIndex.defer`): a server found gone is
 *   removed before it can be chosen, and no seat goes to a server not re-attached;
 * - the session stream starts after `all` (compose.ts), and reconcile passes, releases, roster
 *   reports and every other changing route wait for the stream: nothing plans new servers, stops
 *   one or reads a roster before every fleet is adopted;
 * - adoptions run one at a time, as the single `recover` did.
 */
export class FleetAdoption {
  private readonly waiting: Set<string>;
  private readonly started = new Map<string, Promise<void>>();
  /** The adoption running now (or settled): the next one starts after it. */
  private last: Promise<void> = Promise.resolve();

  /** `fleets`: those with servers at the start; `adopt` re-adopts one fleet's servers (`ServerService.recover`). */
  constructor(fleets: Iterable<string>, private readonly adopt: (fleet: string) => Promise<void>) {
    this.waiting = new Set(fleets);
  }

  /** Settles once the fleet's servers are adopted (or found gone); at once for a fleet that had none. */
  fleet(name: string): Promise<void> {
    const started = this.started.get(name);
    if (started) return started;
    if (!this.waiting.delete(name)) return Promise.resolve();
    const run = this.last.then(() => this.adopt(name));
    this.started.set(name, run);
    this.last = run.catch(() => undefined);
    return run;
  }

  /** Adopts every fleet in turn, giving the event loop a turn between two (an allocation may jump in). */
  async all(): Promise<void> {
    for (const name of [...this.waiting]) {
      await this.fleet(name);
      await new Promise<void>((r) => setImmediate(r));
    }
    // Those an allocation started and that may still run.
    await Promise.all(this.started.values());
  }
}

/**
 * Runs `run` over `items` in slices of `size`, giving the event loop a turn between two: a fleet
 * of 10,000 servers adopted in the background in one go held a request waiting ~0.1 s.
 */
export async function inSlices<T>(items: readonly T[], size: number, run: (slice: readonly T[]) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    if (i > 0) await new Promise<void>((r) => setImmediate(r));
    await run(items.slice(i, i + size));
  }
}
