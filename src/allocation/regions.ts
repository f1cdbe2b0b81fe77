/**
 * Where a player would rather play: a preferred list of zones and regions, tried in order, then
 * (unless the request says not to) anywhere. Pure: turns a preference into the ordered tiers the
 * allocator tries (`placementTiers`) and says whether a server's location is inside a tier.
 * A game server's zone and region are those of the host it runs on (src/hosts).
 */

/** `any`: after the listed zones and regions, any server with room; `none`: only those listed. */
export const RegionFallbacks = ['any', 'none'] as const;
export type RegionFallback = (typeof RegionFallbacks)[number];

/** Limits of a preference, checked at the API's edge (more is a typo or an abuse, never a need). */
export const MaxPreferredLocations = 16;

export interface RegionPreference {
  /** Preferred zones, most preferred first; tried before the regions. */
  zones: readonly string[];
  /** Preferred regions, most preferred first. */
  regions: readonly string[];
  fallback: RegionFallback;
}

/** One step of the search: servers in one zone, in one region, or anywhere. */
export type LocationTier = { kind: 'zone'; name: string } | { kind: 'region'; name: string } | { kind: 'any' };

export const Anywhere: readonly LocationTier[] = [{ kind: 'any' }];

/** Where a server runs (unknown on a server whose host has not said: '' for both). */
export interface Located {
  zone?: string;
  region?: string;
}

/**
 * The tiers a placement tries, in order: each preferred zone, then each preferred region (the
 * most specific first: a zone is a part of a region), then anywhere unless `fallback` is
 * `none`. Duplicates are tried once. No preference: anywhere, as before regions existed.
 */
export function placementTiers(pref: RegionPreference | null): readonly LocationTier[] {
  if (!pref || (pref.zones.length === 0 && pref.regions.length === 0)) return Anywhere;
  const tiers: LocationTier[] = [];
  for (const name of new Set(pref.zones)) tiers.push({ kind: 'zone', name });
  for (const name of new Set(pref.regions)) tiers.push({ kind: 'region', name });
  if (pref.fallback === 'any') tiers.push({ kind: 'any' });
  return tiers;
}

/** Whether a server at `at` is inside `tier`. */
export function inTier(at: Located, tier: LocationTier): boolean {
  if (tier.kind === 'any') return true;
  return tier.kind === 'zone' ? (at.zone ?? '') === tier.name : (at.region ?? '') === tier.name;
}

/** The position of the first tier holding `at` (tiers.length when none does): lower is more preferred. */
export function tierIndex(at: Located, tiers: readonly LocationTier[]): number {
  const i = tiers.findIndex((t) => inTier(at, t));
  return i === -1 ? tiers.length : i;
}
