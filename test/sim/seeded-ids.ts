/**
 * Stand-in for `src/core/ids.ts` in simulation tests (installed with `vi.mock`): ids drawn from
 * a seeded stream instead of the system's randomness. The allocator and the fleet planner
 * break ties by id, so with random ids two runs of one seed could place players differently;
 * with these, a seed replays exactly. Same shapes as the real ids.
 */
import { SeededRandom } from '../../src/core/random.js';
import { sortableTime } from '../../src/core/sortable-time.js';

let random = new SeededRandom(1);

/** Restarts the id stream: call at the start of every run. */
export function resetIds(seed: number): void {
  random = new SeededRandom(seed);
}

function bytes(n: number): string {
  return Buffer.from(Array.from({ length: n }, () => random.int(0, 255))).toString('base64url');
}

export function newId(prefix: string): string {
  return `${prefix}_${bytes(9)}`;
}

export function newSortableId(prefix: string, now: number): string {
  return `${prefix}_${sortableTime(now)}${bytes(9)}`;
}

export function newToken(): string {
  return bytes(24);
}
