/** What the allocator takes and answers, owned by the allocation domain (the API's schemas build on it). */

export interface AllocationRequest {
  fleet: string;
  playerId: string;
  partyId: string | null;
  clientVersion: string | null;
  region: string | null;
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
  server: { id: string; build: string; version: string; address: string; ports: Record<string, number> };
  /** Present to the game server on connect; it verifies it through the SDK. */
  joinToken: string;
}
