/**
 * Pure placement decision for one allocation: which build, then which server. No I/O, no clock.
 * Rules, in order: a party member joins the server hosting its party while that server runs,
 * has room and accepts the client — on whatever build, since a release switching routing must
 * not split a party (unless the fleet's `partyPolicy` is `follow-routing`, which also requires
 * a routed build); otherwise the request is routed to a build by the routing table (sticky per
 * player/party hash), restricted to builds whose client range accepts the client; then
 * sessions pack onto the fullest server with room, so the others can empty and be retired.
 * Routing tables are what strategies produce, so these rules hold for every strategy.
 */
import type { PartyPolicy } from '../fleet/model.js';
import type { RoutingTable } from './routing.js';

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
}

export interface ChooseInput {
  playerId: string;
  partyId: string | null;
  clientVersion: string | null;
  routing: RoutingTable;
  /** Whether a build accepts a client version (null version: every build does). */
  accepts: (build: string, clientVersion: string | null) => boolean;
  candidates: readonly Candidate[];
  /** Servers hosting open sessions of the player's party, most members first. */
  partyServers: readonly string[];
  partyPolicy: PartyPolicy;
}

export type ChooseResult =
  | { ok: true; serverId: string; build: string }
  | { ok: false; code: 'NO_CAPACITY' | 'CLIENT_UPDATE_REQUIRED'; details: Record<string, unknown> };

const ACCEPTING = new Set(['Ready', 'Active']);

export function hasRoom(c: Candidate): boolean {
  return ACCEPTING.has(c.state) && !c.leaving && c.used < c.capacity;
}

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
 */
export function takesPartyMember(c: Candidate): boolean {
  return (ACCEPTING.has(c.state) || c.state === 'Draining') && !c.leaving && c.used < c.capacity;
}

/** FNV-1a: a stable, fast hash so one player (or party) keeps landing on the same weighted build. */
export function stableHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Routed builds the client can play, in preference order: the sticky weighted pick first. */
export function eligibleBuilds(input: ChooseInput): { builds: string[]; routed: string[] } {
  const routed = input.routing.entries.filter((e) => e.weight > 0);
  const compatible = routed.filter((e) => input.accepts(e.build, input.clientVersion));
  if (compatible.length <= 1) return { builds: compatible.map((e) => e.build), routed: routed.map((e) => e.build) };
  const total = compatible.reduce((sum, e) => sum + e.weight, 0);
  let point = stableHash(input.partyId ?? input.playerId) % total;
  let first = 0;
  for (let i = 0; i < compatible.length; i++) {
    const w = compatible[i]?.weight ?? 0;
    if (point < w) {
      first = i;
      break;
    }
    point -= w;
  }
  const ordered = compatible.map((e) => e.build);
  const [picked] = ordered.splice(first, 1);
  return { builds: picked === undefined ? ordered : [picked, ...ordered], routed: routed.map((e) => e.build) };
}

export function chooseServer(input: ChooseInput): ChooseResult {
  const { builds, routed } = eligibleBuilds(input);
  const party = partyServer(input, builds);
  if (party) return { ok: true, serverId: party.id, build: party.build };
  if (builds.length === 0) {
    if (routed.length === 0) return { ok: false, code: 'NO_CAPACITY', details: { reason: 'no build is routed' } };
    return { ok: false, code: 'CLIENT_UPDATE_REQUIRED', details: { clientVersion: input.clientVersion, builds: routed } };
  }
  for (const build of builds) {
    const best = fullestWithRoom(input.candidates, build);
    if (best) return { ok: true, serverId: best.id, build };
  }
  return { ok: false, code: 'NO_CAPACITY', details: { builds } };
}

/** The party's server the member joins, if any; `routedBuilds` are the eligible routed builds. */
function partyServer(input: ChooseInput, routedBuilds: readonly string[]): Candidate | undefined {
  if (input.partyServers.length === 0) return undefined;
  const byId = new Map(input.candidates.map((c) => [c.id, c]));
  for (const id of input.partyServers) {
    const c = byId.get(id);
    if (!c || !takesPartyMember(c) || !input.accepts(c.build, input.clientVersion)) continue;
    if (input.partyPolicy === 'follow-routing' && !routedBuilds.includes(c.build)) continue;
    return c;
  }
  return undefined;
}

function fullestWithRoom(candidates: readonly Candidate[], build: string): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (c.build !== build || !hasRoom(c)) continue;
    if (!best || c.used > best.used || (c.used === best.used && (c.createdAt < best.createdAt || (c.createdAt === best.createdAt && c.id < best.id)))) {
      best = c;
    }
  }
  return best;
}
