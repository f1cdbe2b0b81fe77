import { describe, expect, it } from 'vitest';
import type { EnvironmentSpec } from './model.js';
import { createEnvironment, updateEnvironment, validateSpec, type SpecContext } from './spec.js';

const ctx: SpecContext = {
  buildExists: (id) => ['v1', 'v2'].includes(id),
  fleetBuild: (name) => ({ arena: 'v1', 'arena-us': 'v1', other: 'v2' } as Record<string, string>)[name],
  ownerOf: (fleet) => (fleet === 'arena-us' ? 'staging' : undefined),
};
const spec = (over: Partial<EnvironmentSpec> = {}): EnvironmentSpec => ({ name: 'production', fleets: ['arena'], live: 'blue', slots: {}, ...over });

describe('validateSpec', () => {
  it.each<[string, EnvironmentSpec, string]>([
    ['a slot bound to a missing build', spec({ slots: { green: { build: 'ghost', warmServers: 0 } } }), 'SLOT_BUILD_NOT_FOUND'],
    ['an unknown fleet', spec({ fleets: ['nope'] }), 'FLEET_NOT_FOUND'],
    ["another environment's fleet", spec({ fleets: ['arena-us'] }), 'ENV_FLEET_TAKEN'],
    ['fleets on different builds', spec({ fleets: ['arena', 'other'] }), 'ENV_LIVE_BUILD_MISMATCH'],
    ['a live slot on a build the fleets do not run', spec({ slots: { blue: { build: 'v2', warmServers: 0 } } }), 'ENV_LIVE_BUILD_MISMATCH'],
    ['no fleet', spec({ fleets: [] }), 'VALIDATION_FAILED'],
  ])('refuses %s', (_name, s, code) => {
    expect(() => validateSpec(s, ctx)).toThrow(expect.objectContaining({ code }));
  });

  it('accepts a staged idle slot', () => {
    expect(() => validateSpec(spec({ slots: { green: { build: 'v2', warmServers: 1 } } }), ctx)).not.toThrow();
  });
});

describe('create and update', () => {
  it('stages an idle slot bound to another build at creation', () => {
    const e = createEnvironment(spec({ slots: { green: { build: 'v2', warmServers: 1 } } }), 'v1', 5);
    expect(e.slots).toEqual({ blue: { build: 'v1', warmServers: 0, stagedAt: null, boundAt: 5 }, green: { build: 'v2', warmServers: 1, stagedAt: 5, boundAt: 5 } });
  });

  it('changes launch settings and fleets on re-apply but never the bindings', () => {
    const e = createEnvironment(spec(), 'v1', 5);
    expect(updateEnvironment(e, spec(), 6)).toBeNull();
    const u = updateEnvironment(e, spec({ live: 'green', slots: { green: { build: 'v2', warmServers: 3 } } }), 6);
    expect(u?.live).toBe('blue');
    expect(u?.slots.green).toMatchObject({ build: 'v1', warmServers: 3 });
  });
});
