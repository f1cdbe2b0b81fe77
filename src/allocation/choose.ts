/**
 * Pure placement decision for one allocation: which build, then which server. No I/O, no clock.
 * Rules, in order:
 * 1. A migrated player (`forcedBuild`, from a verified migration token) goes to that build, to
 *    the party's server there if it has one, else to a server with room for the whole migrated
 *    party (`forcedSeats`), ahead of everything below (see `forcedPlacement`). Seats held for
 *    migrated players (`heldSeats`) are not given to anyone placed by rules 3 and 4.
 * 2. A party member joins the server hosting its party while that server runs, has room and
 *    accepts the client — on whatever build, since a release switching routing must not split a
 *    party (unless the fleet's `partyPolicy` is `follow-routing`, which also requires a routed
 *    build). Party cohesion wins over cohort rules and weights.
 * 3. The first cohort rule the player matches sends them to its build whatever the weights.
 *    Rules are evaluated per player (their id, attributes and region), not per party: the first
 *    member of a party to allocate decides the party's build (by its rule, or by the party's
 *    hash), and the rest join by rule 2. If the rule's build cannot take them, `fallback`
 *    (default true) says whether the weights place them or the request is refused.
 * 4. Otherwise the routing table routes the request to a build (sticky per party/player hash, or
 *    newest build first with `prefer: 'newest'`), restricted to builds whose client range accepts
 *    the client, then to the other routed builds when the first has no room.
 * Rules 1, 3 and 4 look for room location tier by location tier (the request's preferred zones,
 * then regions, then anywhere): the first tier where they place the player wins, so nobody is
 * sent outside their preferred regions while a server inside has room. Rule 2 ignores location
 * (a party plays together), and a reconnecting player goes back to their server before any of this.
 * Sessions pack onto the fullest server with room, so the others can empty and be retired.
 * Routing tables are what strategies produce, so these rules hold for every strategy.
 */
import type { PartyPolicy } from '../fleet/model.js';
import { scanCandidates, type Candidate, type CandidateView } from './candidates.js';
import { compileRouter, matchRule, routeBuilds, type CompiledRule } from './choose-route.js';
import { Anywhere, type LocationTier } from './regions.js';
import type { RoutingTable } from './routing.js';

export { stableHash } from './choose-route.js';
export { hasRoom, type Candidate, type CandidateView } from './candidates.js';

export interface ChooseInput {
  playerId: string;
  partyId: string | null;
  clientVersion: string | null;
  routing: RoutingTable;
  /** Whether a build accepts a client version (null version: every build does). */
  accepts: (build: string, clientVersion: string | null) => boolean;
  /**
   * The fleet's Ready/Active servers plus the Draining ones hosting the party: a list (scanned on
   * every question) or a view answered from the control plane's capacity index.
   */
  candidates: readonly Candidate[] | CandidateView;
  /** Servers hosting open sessions of the player's party, most members first. */
  partyServers: readonly string[];
  partyPolicy: PartyPolicy;
  /** The request's region and attributes, which cohort rules test. */
  region?: string | null;
  attributes?: Readonly<Record<string, string>>;
  /** The build a verified migration token names: placed there first (rule 1). */
  forcedBuild?: string | null;
  /** Members of the migrated party: the first to arrive looks for a server with room for all (default 1). */
  forcedSeats?: number;
  /**
   * Free seats per build held for migrated players who have not allocated yet (outstanding
   * migration tokens): a player placed by cohort rules or weights takes a seat on such a build
   * only while it has more free seats than are held. Party members joining their party are not held back.
   */
  heldSeats?: ReadonlyMap<string, number>;
  /**
   * Where to look for room, in order (see `placementTiers` in regions.ts): the preferred zones,
   * then regions, then anywhere unless the request allows no fallback. Default: anywhere.
   */
  tiers?: readonly LocationTier[];
  /** Whether any host is in a tier's zone or region at all (default: yes); see `locationRefusal`. */
  locationKnown?: (tier: LocationTier) => boolean;
}

export type ChooseResult =
  | { ok: true; serverId: string; build: string }
  | { ok: false; code: 'NO_CAPACITY' | 'CLIENT_UPDATE_REQUIRED' | 'REGION_NOT_SERVED'; details: Record<string, unknown> };

/**
 * Whether a server hosting the party may take one more member: it has room and is still
 * running. An old-build server after a switch (Ready/Active, perhaps with a release's drain
 * deadline) qualifies: the member plays with the party, and if the deadline comes, is migrated
 * with it. A Draining server qualifies too unless it is leaving: one that only stopped taking
 * new players keeps its players until they go, so a member joining it stays with them. A server
 * whose stop was requested (by the control plane once empty, or by the game itself through
 * `shutdown`) is going away, and a member sent there would be dropped; today every Draining
 * server is of that kind, so this only matters for a strategy that drains without stopping.
 * Starting and Unhealthy servers never take anyone: one is not up yet, the other not answering.
 * Nor does a server whose host is down (Unreachable or Draining): the member would not reach it.
 */
export function takesPartyMember(c: Candidate): boolean {
  return (c.state === 'Ready' || c.state === 'Active' || c.state === 'Draining') && !c.leaving && c.hostDown !== true && c.used < c.capacity;
}

/** Routed builds the client can play, in preference order (see `routeBuilds`). */
export function eligibleBuilds(input: ChooseInput): { builds: readonly string[]; routed: readonly string[] } {
  return routeBuilds(compileRouter(input.routing), input);
}

export function chooseServer(input: ChooseInput): ChooseResult {
  const router = compileRouter(input.routing);
  const view = viewOf(input.candidates);
  const tiers = input.tiers ?? Anywhere;
  if (input.forcedBuild != null) {
    // The token's build first, wherever it has room in the preferred order: a priority over location.
    for (const tier of tiers) {
      const forced = forcedPlacement(input, view, input.forcedBuild, router.open, tier);
      if (forced) return { ok: true, serverId: forced.id, build: forced.build };
    }
  }
  const { builds, routed } = routeBuilds(router, input);
  const rule = router.rules.length === 0 ? undefined : matchRule(router, input);
  // Party cohesion wins over location too: the member joins the party wherever it plays.
  const party = partyServer(input, view, builds, rule?.build);
  if (party) return { ok: true, serverId: party.id, build: party.build };
  let refusal: ChooseResult | undefined;
  for (const tier of tiers) {
    const r = placeWithin(input, view, tier, rule, builds, routed);
    // Only a lack of room is a matter of where: any other refusal holds in every tier.
    if (r.ok || r.code !== 'NO_CAPACITY') return r;
    refusal ??= r;
  }
  return locationRefusal(input, tiers, refusal);
}

/** Rules 3 and 4 (cohort rule, then routed builds) among the servers of one location tier. */
function placeWithin(input: ChooseInput, view: CandidateView, tier: LocationTier, rule: CompiledRule | undefined, builds: readonly string[], routed: readonly string[]): ChooseResult {
  if (rule) {
    const accepted = input.accepts(rule.build, input.clientVersion);
    const best = accepted ? unheldWithRoom(input, view, rule.build, tier) : undefined;
    if (best) return { ok: true, serverId: best.id, build: rule.build };
    if (!rule.fallback) {
      const cohort = rule.name ?? rule.index;
      if (!accepted) return { ok: false, code: 'CLIENT_UPDATE_REQUIRED', details: { clientVersion: input.clientVersion, builds: [rule.build], cohort } };
      return { ok: false, code: 'NO_CAPACITY', details: { builds: [rule.build], cohort } };
    }
  }
  if (builds.length === 0) {
    if (routed.length === 0) return { ok: false, code: 'NO_CAPACITY', details: { reason: 'no build is routed' } };
    return { ok: false, code: 'CLIENT_UPDATE_REQUIRED', details: { clientVersion: input.clientVersion, builds: routed } };
  }
  for (const build of builds) {
    const best = unheldWithRoom(input, view, build, tier);
    if (best) return { ok: true, serverId: best.id, build };
  }
  return { ok: false, code: 'NO_CAPACITY', details: { builds } };
}

/**
 * No tier had room. With a preference, the answer says which locations were tried; when the
 * request allowed no fallback and no listed zone or region is known at all (no host there),
 * waiting cannot help: REGION_NOT_SERVED rather than NO_CAPACITY.
 */
function locationRefusal(input: ChooseInput, tiers: readonly LocationTier[], refusal: ChooseResult | undefined): ChooseResult {
  const base = refusal && !refusal.ok ? refusal : { ok: false as const, code: 'NO_CAPACITY' as const, details: {} };
  if (tiers === Anywhere || tiers.some((t) => t.kind === 'any')) return base;
  const tried = tiers.map((t) => (t.kind === 'any' ? '*' : `${t.kind}:${t.name}`));
  const known = input.locationKnown ?? (() => true);
  if (!tiers.some(known)) return { ok: false, code: 'REGION_NOT_SERVED', details: { ...base.details, tried, reason: 'no host in any preferred zone or region' } };
  return { ok: false, code: base.code, details: { ...base.details, tried } };
}

function viewOf(candidates: readonly Candidate[] | CandidateView): CandidateView {
  return isView(candidates) ? candidates : scanCandidates(candidates);
}

function isView(c: readonly Candidate[] | CandidateView): c is CandidateView {
  return !Array.isArray(c);
}

/** The fullest server of `build` with room, unless every free seat of the build is held for migrated players. */
function unheldWithRoom(input: ChooseInput, view: CandidateView, build: string, tier: LocationTier): Candidate | undefined {
  const held = input.heldSeats?.get(build) ?? 0;
  // Held seats are counted over the whole build: a migrated player may land in any location.
  if (held > 0 && view.freeSeats(build) <= held) return undefined;
  return view.fullest(build, 1, tier);
}

/**
 * A migrated player's placement on the build their token names: on the party's server of that
 * build if one takes them, else on its fullest server with room for the whole migrated party
 * (so the members arriving after them can join them), else on its fullest server with room
 * (a party that fits nowhere whole still lands on the new build). Undefined (placed by the usual
 * rules instead) when the build no longer takes new sessions (the release was aborted after the
 * token was issued), refuses the client, or has no room: the token is a priority, not a promise
 * to strand the player.
 */
function forcedPlacement(input: ChooseInput, view: CandidateView, build: string, open: ReadonlySet<string>, tier: LocationTier): Candidate | undefined {
  if (!open.has(build) || !input.accepts(build, input.clientVersion)) return undefined;
  for (const id of input.partyServers) {
    const c = view.get(id);
    if (c && c.build === build && takesPartyMember(c)) return c;
  }
  const seats = input.forcedSeats ?? 1;
  return (seats > 1 ? view.fullest(build, seats, tier) : undefined) ?? view.fullest(build, 1, tier);
}

/**
 * The party's server the member joins, if any. `routedBuilds` are the eligible routed builds and
 * `cohortBuild` the build a cohort rule sends this player to: under `follow-routing` either is
 * "routed" for them.
 */
function partyServer(input: ChooseInput, view: CandidateView, routedBuilds: readonly string[], cohortBuild: string | undefined): Candidate | undefined {
  for (const id of input.partyServers) {
    const c = view.get(id);
    if (!c || !takesPartyMember(c) || !input.accepts(c.build, input.clientVersion)) continue;
    if (input.partyPolicy === 'follow-routing' && !routedBuilds.includes(c.build) && c.build !== cohortBuild) continue;
    return c;
  }
  return undefined;
}
