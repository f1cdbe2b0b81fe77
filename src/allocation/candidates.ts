/**
 * The servers a placement decision may look at, as a read-only view. `chooseServer` asks it
 * three questions instead of walking a list, so the control plane can answer them from an
 * incremental index (`capacity-index.ts`, O(1)/O(log n)) while tests and the index's own
 * property test answer them by scanning a plain list (`scanCandidates`, the oracle).
 */

import { inTier, type LocationTier } from './regions.js';

const AnywhereTier: LocationTier = { kind: 'any' };

export interface Candidate {
  id: string;
  build: string;
  /** Ready/Active servers take anyone; Draining ones (offered only when they host the party) only party members. */
  state: string;
  capacity: number;
  used: number;
  createdAt: number;
  /** On its way out: the runtime was asked to stop it, or the game server asked to shut down. */
  leaving: boolean;
  /** Zone and region of the server's host (absent: unknown, matched by no preferred zone or region). */
  zone?: string;
  region?: string;
  /**
   * The server's host takes no new sessions: Unreachable (its agent is silent) or Draining. Its
   * players are left alone; new ones go elsewhere (losing a zone moves new sessions to the others).
   */
  hostDown?: boolean;
}

export interface CandidateView {
  /** A party's server, if it is a candidate at all (Ready, Active or Draining). Only asked about party servers. */
  get(id: string): Candidate | undefined;
  /**
   * The fullest server of `build` with room for `seats` more (ties: oldest, then smallest id),
   * within `tier` (a zone, a region; default anywhere).
   */
  fullest(build: string, seats: number, tier?: LocationTier): Candidate | undefined;
  /** Free seats over `build`'s servers with room. */
  freeSeats(build: string): number;
}

const ACCEPTING = new Set(['Ready', 'Active']);

export function hasRoom(c: Candidate): boolean {
  return ACCEPTING.has(c.state) && !c.leaving && c.hostDown !== true && c.used < c.capacity;
}

/** Placement order: fuller first (packing lets the others empty), then older, then by id, so it is total. */
export function fuller(a: Candidate, b: Candidate): boolean {
  if (a.used !== b.used) return a.used > b.used;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt;
  return a.id < b.id;
}

/** A view that scans a list on every question: fine for a handful of servers, and the index's oracle. */
export function scanCandidates(candidates: readonly Candidate[]): CandidateView {
  return {
    get: (id) => candidates.find((c) => c.id === id),
    fullest: (build, seats, tier = AnywhereTier) => {
      let best: Candidate | undefined;
      for (const c of candidates) {
        if (c.build !== build || !hasRoom(c) || c.capacity - c.used < seats || !inTier(c, tier)) continue;
        if (!best || fuller(c, best)) best = c;
      }
      return best;
    },
    freeSeats: (build) => {
      let free = 0;
      for (const c of candidates) if (c.build === build && hasRoom(c)) free += c.capacity - c.used;
      return free;
    },
  };
}
