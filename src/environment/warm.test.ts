import { describe, expect, it } from 'vitest';
import type { BuildRole } from '../fleet/plan-fleet.js';
import { stage } from './cycle.js';
import { createEnvironment } from './spec.js';
import { warmRoles, withWarm } from './warm.js';

const t0 = Date.UTC(2026, 0, 1);
const base = createEnvironment({ name: 'prod', fleets: ['arena'], live: 'blue', slots: { green: { warmServers: 2 } } }, 'v1', t0);

describe('warm servers of a staged idle slot', () => {
  it('asks each fleet of the environment for a preview role on the staged build', () => {
    expect(warmRoles(stage(base, 'v2', undefined, false, t0), 'arena')).toEqual(new Map([['v2', { role: 'preview', target: 2 }]]));
  });

  it.each([
    ['nothing is staged', base, 'arena'],
    ['no warm servers are asked for', stage(base, 'v2', 0, false, t0), 'arena'],
    ['the fleet is not the environment\'s', stage(base, 'v2', undefined, false, t0), 'other'],
  ])('asks nothing when %s', (_name, env, fleet) => {
    expect(warmRoles(env, fleet).size).toBe(0);
  });

  it.each<[string, BuildRole | undefined, BuildRole]>([
    ['no role', undefined, { role: 'preview', target: 2 }],
    ['a retiring role', { role: 'retiring', idleSeconds: 600 }, { role: 'preview', target: 2 }],
    ['a routed role', { role: 'routed', share: 1 }, { role: 'routed', share: 1 }],
    ["a release's own preview", { role: 'preview', target: 5 }, { role: 'preview', target: 5 }],
  ])('over %s the build ends up with the right role', (_name, current, expected) => {
    const roles = new Map<string, BuildRole>(current ? [['v2', current]] : []);
    expect(withWarm(roles, new Map([['v2', { role: 'preview', target: 2 }]])).get('v2')).toEqual(expected);
  });
});
