/**
 * Routing a request to builds, from a routing table compiled once. Pure: no I/O, no clock.
 *
 * This runs on every allocation (~10k/s), so everything that depends only on the table (the
 * routed entries, their hash intervals, the build orders, the allow-lists as sets) is computed
 * once per table and cached by the table's identity; a request that every routed build accepts
 * (the common case) is answered with precomputed arrays and allocates nothing.
 */
import type { CohortRule, RoutingTable } from './routing.js';

/** What routing looks at in an allocation request. */
export interface RouteRequest {
  playerId: string;
  partyId: string | null;
  clientVersion: string | null;
  region?: string | null;
  attributes?: Readonly<Record<string, string>>;
  /** Whether a build accepts a client version (null version: every build does). */
  accepts: (build: string, clientVersion: string | null) => boolean;
}

interface CompiledEntry {
  build: string;
  weight: number;
  rank: number;
}

interface CompiledCondition {
  /** The attribute tested; null tests the request's region. */
  attribute: string | null;
  values: ReadonlySet<string>;
}

export interface CompiledRule {
  index: number;
  name: string | null;
  build: string;
  fallback: boolean;
  players: ReadonlySet<string> | null;
  conditions: readonly CompiledCondition[];
}

export interface CompiledRouter {
  /** Entries with a positive weight, in table order (the order of their hash intervals). */
  routed: readonly CompiledEntry[];
  routedBuilds: readonly string[];
  /** Builds that may receive new sessions: routed, or the target of a cohort rule. */
  open: ReadonlySet<string>;
  /** `bounds[i]`: upper end of `routed[i]`'s hash interval on [0, 2^32) when all are eligible. */
  bounds: readonly number[];
  /** `byPick[i]`: the routed builds with `routed[i]` first, then the others in table order. */
  byPick: readonly (readonly string[])[];
  /** With `prefer: 'newest'`: the routed builds by rank, highest first; otherwise null. */
  newestFirst: readonly string[] | null;
  rules: readonly CompiledRule[];
  /** FNV-1a state after hashing the salt: requests continue from it. */
  seed: number;
}

const FNV_OFFSET = 0x811c9dc5;
const TWO_32 = 4294967296;

function fnv1a(s: string, from: number): number {
  let h = from;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** FNV-1a: a stable, fast hash so one player (or party) keeps landing on the same weighted build. */
export function stableHash(s: string): number {
  return fnv1a(s, FNV_OFFSET);
}

/**
 * MurmurHash3's finalizer. Intervals are read from the high end of the hash, where FNV-1a of
 * ids that differ only in their last characters (`player-1`, `player-2`) stays correlated;
 * mixing spreads them evenly, which the 10,000-player weight test checks.
 */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The request's point on [0, 2^32): of its party when it has one, so a party routes as one. */
export function hashPoint(router: CompiledRouter, req: Pick<RouteRequest, 'playerId' | 'partyId'>): number {
  return mix32(fnv1a(req.partyId ?? req.playerId, router.seed));
}

const cache = new WeakMap<RoutingTable, CompiledRouter>();

/** The compiled form of a table, built on first use and cached while the table lives. */
export function compileRouter(table: RoutingTable): CompiledRouter {
  let router = cache.get(table);
  if (!router) {
    router = compile(table);
    cache.set(table, router);
  }
  return router;
}

function compile(table: RoutingTable): CompiledRouter {
  const routed = table.entries
    .filter((e) => e.weight > 0 && Number.isFinite(e.weight))
    .map((e) => ({ build: e.build, weight: e.weight, rank: e.rank ?? Number.NEGATIVE_INFINITY }));
  const routedBuilds = routed.map((e) => e.build);
  const rules = (table.rules ?? []).map(compileRule);
  // Array.prototype.sort is stable: builds of equal (or missing) rank keep table order.
  const newestFirst = table.prefer === 'newest' ? [...routed].sort((a, b) => b.rank - a.rank).map((e) => e.build) : null;
  return {
    routed,
    routedBuilds,
    open: new Set([...routedBuilds, ...rules.map((r) => r.build)]),
    bounds: intervalBounds(routed),
    byPick: routed.map((_, i) => pickFirst(routedBuilds, i)),
    newestFirst,
    rules,
    seed: table.salt === undefined ? FNV_OFFSET : fnv1a(`${table.salt}\u0000`, FNV_OFFSET),
  };
}

function compileRule(r: CohortRule, index: number): CompiledRule {
  return {
    index,
    name: r.name ?? null,
    build: r.build,
    fallback: r.fallback ?? true,
    players: r.players && r.players.length > 0 ? new Set(r.players) : null,
    conditions: (r.when ?? []).map((c) => ({ attribute: c.type === 'attribute' ? c.key : null, values: new Set(c.values) })),
  };
}

/**
 * Cumulative upper bounds, scaled to [0, 2^32). `cum / total` is exact-rounded and monotone in
 * the share, and the last bound is exactly 2^32, so every point lands in some interval.
 */
function intervalBounds(entries: readonly { weight: number }[]): number[] {
  const total = entries.reduce((sum, e) => sum + e.weight, 0);
  let cum = 0;
  return entries.map((e) => {
    cum += e.weight;
    return (cum / total) * TWO_32;
  });
}

function pickFirst<T>(list: readonly T[], i: number): T[] {
  const picked = list[i];
  if (picked === undefined) return [...list];
  return [picked, ...list.slice(0, i), ...list.slice(i + 1)];
}

function pickIndex(bounds: readonly number[], point: number): number {
  for (let i = 0; i < bounds.length; i++) {
    if (point < (bounds[i] ?? 0)) return i;
  }
  return bounds.length - 1;
}

/** The first cohort rule the request matches, if any. */
export function matchRule(router: CompiledRouter, req: RouteRequest): CompiledRule | undefined {
  for (const rule of router.rules) {
    if (rule.players && !rule.players.has(req.playerId)) continue;
    if (rule.conditions.every((c) => conditionHolds(c, req))) return rule;
  }
  return undefined;
}

function conditionHolds(c: CompiledCondition, req: RouteRequest): boolean {
  if (c.attribute === null) return req.region != null && c.values.has(req.region);
  const attrs = req.attributes;
  // Own properties only: an attribute named `constructor` must not match through the prototype.
  const value = attrs && Object.hasOwn(attrs, c.attribute) ? attrs[c.attribute] : undefined;
  return value !== undefined && c.values.has(value);
}

/**
 * The routed builds the client can play, in preference order: with `prefer: 'newest'` by rank,
 * otherwise the sticky weighted pick first, then the others in table order (where a request
 * spills when its pick has no room). `routed` lists every routed build, for error details.
 */
export function routeBuilds(router: CompiledRouter, req: RouteRequest): { builds: readonly string[]; routed: readonly string[] } {
  const { routed, routedBuilds } = router;
  let compatible = 0;
  for (const e of routed) if (req.accepts(e.build, req.clientVersion)) compatible++;
  if (compatible === 0) return { builds: [], routed: routedBuilds };
  if (compatible === routed.length) {
    if (router.newestFirst) return { builds: router.newestFirst, routed: routedBuilds };
    if (routed.length === 1) return { builds: routedBuilds, routed: routedBuilds };
    const i = pickIndex(router.bounds, hashPoint(router, req));
    return { builds: router.byPick[i] ?? routedBuilds, routed: routedBuilds };
  }
  // Some routed build refuses the client: the others share its hash space in the same order.
  if (router.newestFirst) return { builds: router.newestFirst.filter((b) => req.accepts(b, req.clientVersion)), routed: routedBuilds };
  const eligible = routed.filter((e) => req.accepts(e.build, req.clientVersion));
  const i = pickIndex(intervalBounds(eligible), hashPoint(router, req));
  return { builds: pickFirst(eligible.map((e) => e.build), i), routed: routedBuilds };
}
