/**
 * A fleet's routing table: which builds receive *new* sessions, and in what share.
 * Open sessions are never re-routed: they stay pinned to their server until they end.
 * Rollout strategies produce routing tables; the allocator only reads them.
 */
export interface RouteEntry {
  build: string;
  /** Relative share of new sessions; 0 means the build takes no new sessions. */
  weight: number;
}

export interface RoutingTable {
  entries: RouteEntry[];
}

export function singleBuildRouting(build: string): RoutingTable {
  return { entries: [{ build, weight: 100 }] };
}
