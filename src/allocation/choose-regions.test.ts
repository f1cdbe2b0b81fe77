/**
 * Preferred regions and zones in the placement decision: tables for the rules, properties for
 * the guarantees (never outside the preferred regions while a server inside has room; the
 * fallback order honoured; nothing outside them when the request allows no fallback).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseServer, type Candidate, type ChooseInput } from './choose.js';
import { placementTiers, tierIndex, type RegionPreference } from './regions.js';
import { singleBuildRouting } from './routing.js';

const at = (id: string, region: string, zone: string, used = 0, over: Partial<Candidate> = {}): Candidate => ({
  id, build: 'v1', used, capacity: 4, state: 'Active', createdAt: 0, leaving: false, region, zone, ...over,
});

const pref = (regions: string[], over: Partial<RegionPreference> = {}): RegionPreference => ({ regions, zones: [], fallback: 'any', ...over });

const base = (over: Partial<ChooseInput> = {}): ChooseInput => ({
  playerId: 'p1', partyId: null, clientVersion: null, routing: singleBuildRouting('v1'), accepts: () => true,
  candidates: [], partyServers: [], partyPolicy: 'together', ...over,
});

const fleet = [
  at('us1', 'us-east', 'us-east-1a', 3),
  at('eu1', 'eu-west', 'eu-west-1a', 1),
  at('eu2', 'eu-west', 'eu-west-1b', 2),
  at('ce1', 'eu-central', 'eu-central-1a', 0),
];

describe('placementTiers', () => {
  it.each([
    ['no preference: anywhere', null, [{ kind: 'any' }]],
    ['regions in order, then anywhere', pref(['a', 'b']), [{ kind: 'region', name: 'a' }, { kind: 'region', name: 'b' }, { kind: 'any' }]],
    ['zones before regions', pref(['a'], { zones: ['a-1'] }), [{ kind: 'zone', name: 'a-1' }, { kind: 'region', name: 'a' }, { kind: 'any' }]],
    ['no fallback: only the listed ones', pref(['a', 'a'], { fallback: 'none' }), [{ kind: 'region', name: 'a' }]],
  ] as const)('%s', (_what, p, tiers) => {
    expect(placementTiers(p)).toEqual(tiers);
  });
});

describe('chooseServer with preferred regions', () => {
  it.each([
    ['the first preferred region, fullest server there', pref(['eu-west', 'eu-central']), 'eu2'],
    ['the second preferred region when the first is unknown', pref(['ap-south', 'eu-central']), 'ce1'],
    ['a preferred zone before its region', pref(['eu-west'], { zones: ['eu-west-1a'] }), 'eu1'],
    ['the fullest server anywhere without a preference', null, 'us1'],
  ] as const)('places the player in %s', (_what, p, server) => {
    expect(chooseServer(base({ candidates: fleet, tiers: placementTiers(p) }))).toEqual({ ok: true, serverId: server, build: 'v1' });
  });

  it('falls back to the next region when the first has no room, then anywhere', () => {
    const full = fleet.map((c) => (c.region === 'eu-west' ? { ...c, used: 4 } : c));
    expect(chooseServer(base({ candidates: full, tiers: placementTiers(pref(['eu-west', 'eu-central'])) }))).toMatchObject({ serverId: 'ce1' });
    const noEurope = full.filter((c) => c.region !== 'eu-central');
    expect(chooseServer(base({ candidates: noEurope, tiers: placementTiers(pref(['eu-west', 'eu-central'])) }))).toMatchObject({ serverId: 'us1' });
  });

  it('refuses with NO_CAPACITY, naming what it tried, when no listed region has room and fallback is none', () => {
    const full = fleet.map((c) => (c.region === 'eu-west' ? { ...c, used: 4 } : c));
    const r = chooseServer(base({ candidates: full, tiers: placementTiers(pref(['eu-west'], { fallback: 'none' })) }));
    expect(r).toMatchObject({ ok: false, code: 'NO_CAPACITY', details: { tried: ['region:eu-west'] } });
  });

  it('refuses with REGION_NOT_SERVED when fallback is none and no host is in any listed region', () => {
    const r = chooseServer(base({
      candidates: fleet, tiers: placementTiers(pref(['ap-south'], { fallback: 'none' })), locationKnown: (t) => t.kind === 'region' && t.name !== 'ap-south',
    }));
    expect(r).toMatchObject({ ok: false, code: 'REGION_NOT_SERVED' });
  });

  it('keeps a party together across regions: the member joins the party server outside their preference', () => {
    const r = chooseServer(base({ candidates: fleet, partyId: 'party', partyServers: ['us1'], tiers: placementTiers(pref(['eu-west'], { fallback: 'none' })) }));
    expect(r).toMatchObject({ ok: true, serverId: 'us1' });
  });

  it('sends a migrated player to the token build in any preferred tier before the other builds of the first', () => {
    const candidates = [at('eu-old', 'eu-west', 'eu-west-1a', 1), { ...at('ce-new', 'eu-central', 'eu-central-1a', 0), build: 'v2' }];
    const r = chooseServer(base({ candidates, forcedBuild: 'v2', tiers: placementTiers(pref(['eu-west', 'eu-central'])), routing: { entries: [{ build: 'v1', weight: 99 }, { build: 'v2', weight: 1 }] } }));
    expect(r).toMatchObject({ ok: true, serverId: 'ce-new', build: 'v2' });
  });

  it('moves new sessions to the other zones when every host of a zone is down', () => {
    const zoneLost = fleet.map((c) => (c.zone === 'eu-west-1b' ? { ...c, hostDown: true } : c));
    expect(chooseServer(base({ candidates: zoneLost, tiers: placementTiers(pref(['eu-west'])) }))).toMatchObject({ serverId: 'eu1' });
    const regionLost = fleet.map((c) => (c.region === 'eu-west' ? { ...c, hostDown: true } : c));
    expect(chooseServer(base({ candidates: regionLost, tiers: placementTiers(pref(['eu-west'])) }))).toMatchObject({ serverId: 'us1' });
  });

  it('does not send a party member to a party server whose host is down', () => {
    const down = fleet.map((c) => (c.id === 'us1' ? { ...c, hostDown: true } : c));
    expect(chooseServer(base({ candidates: down, partyId: 'party', partyServers: ['us1'] }))).toMatchObject({ serverId: 'eu2' });
  });
});

const REGIONS = ['r1', 'r2', 'r3'] as const;
const ZONES = ['a', 'b'] as const;
const candidate = fc.record({
  region: fc.constantFrom(...REGIONS), zone: fc.constantFrom(...ZONES), used: fc.integer({ min: 0, max: 4 }),
  state: fc.constantFrom('Ready', 'Active', 'Draining'), hostDown: fc.boolean(),
});
const preference = fc.record({
  regions: fc.uniqueArray(fc.constantFrom(...REGIONS, 'nowhere'), { maxLength: 3 }),
  zones: fc.uniqueArray(fc.constantFrom('r1-a', 'r2-b', 'nowhere-a'), { maxLength: 2 }),
  fallback: fc.constantFrom('any' as const, 'none' as const),
});

describe('chooseServer with preferred regions (properties)', () => {
  it('never places outside the most preferred tier that has a server with room, and never outside the list without fallback', () => {
    fc.assert(fc.property(fc.array(candidate, { maxLength: 12 }), preference, (raw, p) => {
      const candidates = raw.map((c, i) => at(`s${i}`, c.region, `${c.region}-${c.zone}`, c.used, { state: c.state, hostDown: c.hostDown }));
      const tiers = placementTiers(p);
      const r = chooseServer(base({ candidates, tiers }));
      const open = candidates.filter((c) => (c.state === 'Ready' || c.state === 'Active') && !c.hostDown && c.used < c.capacity);
      const best = Math.min(...open.map((c) => tierIndex(c, tiers)));
      if (best >= tiers.length) {
        // Nothing with room in any tier (with fallback, none at all): refused.
        expect(r.ok).toBe(false);
        return;
      }
      expect(r.ok).toBe(true);
      const chosen = candidates.find((c) => r.ok && c.id === r.serverId) as Candidate;
      expect(tierIndex(chosen, tiers)).toBe(best);
      expect(chosen.hostDown).toBe(false);
    }), { numRuns: 500 });
  });
});
