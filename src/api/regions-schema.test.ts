/**
 * The edge's checks on preferred regions and fleet placement. The router answers a schema
 * failure with VALIDATION_FAILED (400) and changes nothing (src/http/router.ts, its tests).
 */
import { describe, expect, it } from 'vitest';
import { AllocationRequestSchema, FleetInputSchema } from './schemas.js';

const req = (over: Record<string, unknown>) => ({ fleet: 'arena', playerId: 'p', ...over });
const fleet = (placement: unknown) => ({ name: 'arena', build: 'v1', capacity: { minServers: 1, maxServers: 2 }, placement });

describe('preferred regions in an allocation request', () => {
  it('accepts an ordered list of regions and zones, and leaves them out when absent (older clients hash as before)', () => {
    expect(AllocationRequestSchema.parse(req({ regions: ['eu-west', 'eu-central'], zones: ['eu-west-1a'], regionFallback: 'none' })))
      .toMatchObject({ regions: ['eu-west', 'eu-central'], zones: ['eu-west-1a'], regionFallback: 'none' });
    const plain = AllocationRequestSchema.parse(req({}));
    expect(['regions', 'zones', 'regionFallback'].filter((k) => k in plain)).toEqual([]);
  });

  it.each([
    ['a string instead of a list', { regions: 'eu-west' }, 'regions'],
    ['an empty list', { regions: [] }, 'regions'],
    ['an empty name', { regions: ['eu-west', ''] }, 'regions.1'],
    ['a name with surrounding spaces', { zones: [' eu-west-1a'] }, 'zones.0'],
    ['too many entries', { regions: Array.from({ length: 17 }, (_, i) => `r${i}`) }, 'regions'],
    ['an unknown fallback', { regions: ['eu'], regionFallback: 'nearest' }, 'regionFallback'],
    ['no fallback without any preference', { regionFallback: 'none' }, 'regionFallback'],
  ])('refuses %s, naming the field', (_what, over, field) => {
    const r = AllocationRequestSchema.safeParse(req(over));
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });
});

describe('a fleet placement', () => {
  it('defaults to spread over every zone and takes pack with a zone list', () => {
    expect(FleetInputSchema.parse(fleet(undefined)).placement).toEqual({ policy: 'spread', zones: null });
    expect(FleetInputSchema.parse(fleet({ policy: 'pack', zones: ['eu-west-1a'] })).placement).toEqual({ policy: 'pack', zones: ['eu-west-1a'] });
  });

  it.each([
    ['an unknown policy', { policy: 'random' }, 'placement.policy'],
    ['an empty zone list', { policy: 'spread', zones: [] }, 'placement.zones'],
    ['a blank zone', { zones: [''] }, 'placement.zones.0'],
    ['a misspelt field', { polcy: 'pack' }, 'placement'],
  ])('refuses %s', (_what, placement, field) => {
    const r = FleetInputSchema.safeParse(fleet(placement));
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });
});
