import { describe, expect, it } from 'vitest';
import { CapacitySchema, MaxFleetServers } from './schemas.js';

const capacity = (maxServers: number) => ({ minServers: maxServers, maxServers, bufferServers: 0 });

// The router answers a schema failure with VALIDATION_FAILED (src/http/router.ts, its tests).
describe('a fleet capacity policy', () => {
  it.each([10_000, 20_000, MaxFleetServers])('accepts a fleet of %i servers', (n) => {
    expect(CapacitySchema.parse(capacity(n)).maxServers).toBe(n);
  });

  it('refuses a fleet above the limit, naming the field', () => {
    const r = CapacitySchema.safeParse(capacity(MaxFleetServers + 1));
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['minServers', 'maxServers']);
  });
});
