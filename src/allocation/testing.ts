/**
 * The allocator's candidates found the way they were before the capacity index: a walk of every
 * server in the world. Kept as the oracle the index is tested against (capacity-index.test.ts)
 * and as the anchor the bench compares the index with; never used by the control plane.
 */
import type { World } from '../state/world.js';
import type { Candidate } from './candidates.js';

export function scanFleetCandidates(world: World, fleet: string, partyServers: readonly string[]): Candidate[] {
  const out: Candidate[] = [];
  for (const s of world.servers.values()) {
    if (s.fleet !== fleet) continue;
    // Draining servers take no new players, but may still take a member of a party they host.
    if (s.state === 'Ready' || s.state === 'Active' || (s.state === 'Draining' && partyServers.includes(s.id))) {
      const c = world.candidate(s.id);
      if (c) out.push(c);
    }
  }
  return out;
}
