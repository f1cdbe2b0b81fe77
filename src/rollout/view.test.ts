import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServerStates } from '../fleet/model.js';
import { World } from '../state/world.js';
import { sampleServer, sampleSession } from '../store/fixtures.js';
import { observeWhole, RolloutViews } from './view.js';

const FLEETS = ['arena', 'lobby'] as const;

type Op =
  | { kind: 'put'; server: number; fleet: number; build: string; state: (typeof ServerStates)[number]; migrate: boolean }
  | { kind: 'open'; server: number }
  | { kind: 'close'; pick: number }
  | { kind: 'observe'; fleet: number }
  | { kind: 'forget'; fleet: number }
  | { kind: 'load'; server: number; count: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), server: fc.nat(4), fleet: fc.nat(1), build: fc.constantFrom('v1', 'v2'), state: fc.constantFrom(...ServerStates), migrate: fc.boolean() }),
  fc.record({ kind: fc.constant('open' as const), server: fc.nat(4) }),
  fc.record({ kind: fc.constant('close' as const), pick: fc.nat(50) }),
  fc.record({ kind: fc.constant('observe' as const), fleet: fc.nat(1) }),
  fc.record({ kind: fc.constant('forget' as const), fleet: fc.nat(1) }),
  fc.record({ kind: fc.constant('load' as const), server: fc.nat(4), count: fc.nat(3) }),
);

/** Applies one operation to the world the way the services do (servers replaced, never changed in place). */
function run(world: World, o: Op, seq: { n: number; gone: Set<string> }): void {
  const id = `srv_${'server' in o ? o.server : 0}`;
  const existing = world.servers.get(id);
  switch (o.kind) {
    case 'put': {
      // A server keeps its fleet; one gone (terminal) never comes back under the same id.
      if (seq.gone.has(id)) return;
      if (o.state === 'Stopped' || o.state === 'Crashed') seq.gone.add(id);
      const fleet = existing?.fleet ?? FLEETS[o.fleet] ?? 'arena';
      world.putServer(sampleServer({ id, fleet, build: o.build, state: o.state, token: `tok_${id}`, drainDeadline: o.migrate ? 1_000 + seq.n : null, migrateTo: o.migrate ? 'v2' : null }));
      return;
    }
    case 'open':
      if (!existing) return;
      seq.n += 1;
      world.addSession(sampleSession({ id: `ses_${seq.n}`, server: id, fleet: existing.fleet, playerId: `p${seq.n}`, partyId: null }));
      return;
    case 'close': {
      const ids = [...world.sessions.keys()];
      const victim = ids[o.pick % Math.max(1, ids.length)];
      if (victim !== undefined) world.closeSession(victim, 'ended', 0);
      return;
    }
    case 'load':
      // A lazy load's counts arrive and are settled: `used` moves for many servers at once.
      world.beginSessionLoad(new Map([[id, o.count]]));
      if (o.count % 2 === 0) world.finishSessionLoad();
      return;
    default:
      return;
  }
}

describe('RolloutViews', () => {
  it('always observes what a rebuild of the whole fleet would, order included, under random changes', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 80 }), (ops) => {
        const world = new World();
        const views = new RolloutViews(world);
        const seq = { n: 0, gone: new Set<string>() };
        for (const o of ops) {
          if (o.kind === 'observe') {
            const fleet = FLEETS[o.fleet] ?? 'arena';
            expect(views.observe(fleet)).toEqual(observeWhole(world, fleet));
          } else if (o.kind === 'forget') views.forget(FLEETS[o.fleet] ?? 'arena');
          else run(world, o, seq);
        }
        for (const fleet of FLEETS) expect(views.observe(fleet)).toEqual(observeWhole(world, fleet));
      }),
      { numRuns: 400 },
    );
  });

  it('hands out the same list while nothing of the fleet changed, and a new one once a session closes', () => {
    const world = new World();
    world.putServer(sampleServer({ id: 'srv_a', state: 'Active' }));
    world.addSession(sampleSession({ id: 'ses_a', server: 'srv_a', partyId: null }));
    const views = new RolloutViews(world);
    const first = views.observe('arena');
    world.putServer(sampleServer({ id: 'srv_b', fleet: 'lobby', token: 'tok_b' }));
    expect(views.observe('arena')).toBe(first);
    world.closeSession('ses_a', 'ended', 0);
    const next = views.observe('arena');
    expect(next).not.toBe(first);
    expect(next).toEqual([expect.objectContaining({ id: 'srv_a', used: 0 })]);
  });

  it('stops journalling a forgotten fleet and rebuilds it whole when asked again', () => {
    const world = new World();
    const views = new RolloutViews(world);
    world.putServer(sampleServer({ id: 'srv_a' }));
    expect(views.observe('arena')).toHaveLength(1);
    views.forget('arena');
    world.putServer(sampleServer({ id: 'srv_a', state: 'Stopped' }));
    world.putServer(sampleServer({ id: 'srv_c', token: 'tok_c', state: 'Ready' }));
    expect(views.observe('arena')).toEqual([expect.objectContaining({ id: 'srv_c', state: 'Ready' })]);
  });
});
