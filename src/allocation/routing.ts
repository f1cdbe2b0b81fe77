/**
 * A fleet's routing table: which builds receive *new* sessions, and in what share.
 * Open sessions are never re-routed: they stay pinned to their server until they end.
 * Rollout strategies produce routing tables; the allocator only reads them
 * (`choose-route.ts` compiles a table once, `decide-routing.ts` validates one).
 *
 * Tables are immutable values: a strategy that changes routing stores a new table (the
 * allocator caches its compiled form by object identity). Every field but `entries` is
 * optional, so a table stored before they existed (`{ entries }`) still loads and means what
 * it meant: weights only, no cohort rules.
 *
 * Sticky weights (the canary invariant): a request's hash point (of its party, else its
 * player) falls in one interval of [0, 1); routed entries take consecutive intervals in entry
 * order, each as wide as its share. The first entry's interval is [0, share) and the last one's
 * [1 - share, 1), so when a strategy grows the share of the FIRST or LAST entry, the interval
 * only widens from its fixed end and every player it held stays in it: a player who got the
 * canary at 10 % still gets it at 50 %. Keep the growing build first or last, never reorder
 * entries within a release (add a new build at the end), and keep `salt` unchanged.
 */
export interface RouteEntry {
  build: string;
  /** Relative share of new sessions; 0 means the build takes no new sessions by weight. */
  weight: number;
  /** Newer builds rank higher; `prefer: 'newest'` orders routed builds by it. */
  rank?: number;
}

/** Condition kinds a cohort rule may test; anything else is refused as ROUTING_INVALID. */
export const CohortConditionTypes = ['attribute', 'region'] as const;
export type CohortConditionType = (typeof CohortConditionTypes)[number];

/**
 * One test on the allocation request. `attribute`: `attributes[key]` is one of `values`
 * (attributes are strings: `beta=true` is `{ key: 'beta', values: ['true'] }`). `region`: the
 * request's `region` is one of `values` (a request without a region never matches).
 */
export type CohortCondition =
  | { type: 'attribute'; key: string; values: string[] }
  | { type: 'region'; values: string[] };

/**
 * Sends matching players to `build` whatever the weights (even a weight of 0). Every criterion
 * given must hold (AND): the player is in `players`, and every condition in `when` holds.
 * Rules are tried in order; the first that matches decides.
 */
export interface CohortRule {
  /** A label for views and events (e.g. `beta-testers`). */
  name?: string;
  build: string;
  /** Allow-list of player ids. */
  players?: string[];
  when?: CohortCondition[];
  /**
   * When the rule's build cannot take the player (full, or does not accept the client):
   * `true` (the default) places them by the weights instead; `false` refuses them
   * (NO_CAPACITY, or CLIENT_UPDATE_REQUIRED), keeping the cohort strictly on its build.
   */
  fallback?: boolean;
}

export const RoutingPreferences = ['weights', 'newest'] as const;
export type RoutingPreference = (typeof RoutingPreferences)[number];

export interface RoutingTable {
  entries: RouteEntry[];
  /** Cohort rules, tried before the weights. */
  rules?: CohortRule[];
  /**
   * `weights` (default): the sticky weighted pick, then the other routed builds.
   * `newest`: routed builds by `rank`, highest first (the dynamic pool: fill the newest build,
   * use older ones only when it has no room); weights then only say which builds are routed.
   */
  prefer?: RoutingPreference;
  /** Mixed into the sticky hash: a new salt draws a new canary cohort. Absent: no salt. */
  salt?: string;
  /**
   * The fleet takes no new session at all (a maintenance window): the allocator refuses with
   * FLEET_IN_MAINTENANCE, `until` (ms since epoch, the expected end) as its Retry-After. Open
   * sessions are untouched and their players may still reconnect. Entries still say where new
   * sessions go once a strategy stores a table without it.
   */
  closed?: { until: number; reason: string };
}

/** How long a refused player should wait: until the expected end, or a short while once it has overrun. */
export const CLOSED_OVERRUN_RETRY_AFTER_SECONDS = 10;

export function closedRetryAfterSeconds(until: number, now: number): number {
  return until > now ? Math.ceil((until - now) / 1000) : CLOSED_OVERRUN_RETRY_AFTER_SECONDS;
}

export function singleBuildRouting(build: string): RoutingTable {
  return { entries: [{ build, weight: 100 }] };
}

/**
 * Whether a build can receive new sessions under this table: a positive weight, or a cohort
 * rule sending players to it. The fleet planner keeps such builds serving, views count their
 * free slots.
 */
export function takesNewSessions(table: RoutingTable, build: string): boolean {
  return table.entries.some((e) => e.build === build && e.weight > 0) || (table.rules ?? []).some((r) => r.build === build);
}
