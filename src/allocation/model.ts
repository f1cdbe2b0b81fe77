/** What the allocator takes and answers, owned by the allocation domain (the API's schemas build on it). */
import type { RegionFallback } from './regions.js';

export interface AllocationRequest {
  fleet: string;
  playerId: string;
  partyId: string | null;
  clientVersion: string | null;
  /** The player's region: what cohort rules and a fleet's `region` label test. */
  region: string | null;
  /**
   * Where the player would rather play: these regions, most preferred first (and `zones` before
   * them), then anywhere unless `regionFallback` is `none` (see regions.ts). Absent: anywhere,
   * as before these fields existed.
   */
  regions?: string[];
  zones?: string[];
  regionFallback?: RegionFallback;
  attributes: Record<string, string>;
  /** Makes a retry safe: the same key and request answer the same session. */
  idempotencyKey: string | null;
  /** A migration token from a gentle migration: places the player on the new build, with the party. */
  migrationToken?: string | null;
}

export interface AllocationResponse {
  sessionId: string;
  fleet: string;
  playerId: string;
  /** True when the player already had this open session (reconnect). */
  reconnected: boolean;
  /**
   * `region`/`zone`: the location of the server's host (null when its host is not known; absent
   * from an idempotent replay of an answer given before these fields existed).
   */
  server: { id: string; build: string; version: string; address: string; ports: Record<string, number>; region?: string | null; zone?: string | null };
  /** Present to the game server on connect; it verifies it through the SDK. */
  joinToken: string;
}
