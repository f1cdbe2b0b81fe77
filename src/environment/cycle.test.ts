import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideCycle, planRestore, settledBuild, stage, takeSnapshot } from './cycle.js';
import { idleSlot, liveSlot, type Environment, type FleetObservation } from './model.js';
import { createEnvironment } from './spec.js';

const t0 = Date.UTC(2026, 0, 1);
const capacity = { minServers: 2, maxServers: 4, bufferServers: 0, idleTimeoutSeconds: 600 };

function fleet(name: string, build: string, releasing = false, routing = [{ build, weight: 100 }]): FleetObservation {
  return { name, currentBuild: build, routing: { entries: routing }, capacity, releasing };
}

function env(build = 'v1', fleets = ['arena']): Environment {
  return createEnvironment({ name: 'production', fleets, live: 'blue', slots: { green: { warmServers: 2 } } }, build, t0);
}

describe('settledBuild', () => {
  it.each<[string, FleetObservation[], string | null]>([
    ['one fleet, no release', [fleet('a', 'v1')], 'v1'],
    ['two fleets on one build', [fleet('a', 'v2'), fleet('b', 'v2')], 'v2'],
    ['two fleets on two builds', [fleet('a', 'v1'), fleet('b', 'v2')], null],
    ['a release in flight', [fleet('a', 'v1', true)], null],
    ['no fleet at all', [], null],
  ])('answers for %s', (_name, fleets, expected) => {
    expect(settledBuild(fleets)).toBe(expected);
  });
});

describe('the cycle after a release', () => {
  it('relabels, snapshots and clones once the fleets run the staged build', () => {
    const staged = stage(env(), 'v2', undefined, false, t0 + 1);
    expect(idleSlot(staged)).toMatchObject({ build: 'v2', warmServers: 2, stagedAt: t0 + 1 });
    const r = decideCycle(staged, [fleet('arena', 'v2')], t0 + 2);
    expect(r?.steps).toEqual(['relabel', 'snapshot', 'clone']);
    expect(r?.env.live).toBe('green');
    expect(liveSlot(r!.env)).toMatchObject({ build: 'v2', stagedAt: null });
    // Clone: blue (now idle) runs the live build again, with its own launch settings, nothing staged.
    expect(idleSlot(r!.env)).toMatchObject({ build: 'v2', warmServers: 0, stagedAt: null });
    expect(r?.snapshots).toHaveLength(1);
    expect(r?.snapshots[0]).toMatchObject({ number: 1, live: 'green', builds: ['v1', 'v2'], reason: 'release of v2 completed' });
    expect(r?.env.history.map((h) => h.action)).toEqual(['created', 'stage', 'relabel', 'snapshot', 'clone']);
  });

  it('binds the idle slot to a build released without staging, then relabels', () => {
    const r = decideCycle(env(), [fleet('arena', 'v3')], t0 + 5);
    expect(r?.env.history.map((h) => h.action)).toEqual(['created', 'bind', 'relabel', 'snapshot', 'clone']);
    expect(liveSlot(r!.env).build).toBe('v3');
  });

  it.each<[string, FleetObservation[]]>([
    ['a release in flight', [fleet('arena', 'v2', true)]],
    ['the fleets still on the live build', [fleet('arena', 'v1')]],
    ['fleets that disagree', [fleet('arena', 'v2'), fleet('arena-us', 'v1')]],
  ])('does nothing with %s', (_name, fleets) => {
    expect(decideCycle(env('v1', ['arena', 'arena-us']), fleets, t0 + 5)).toBeNull();
  });

  it('stages a build queued during the release as the last step of the cycle', () => {
    const queued = stage(env(), 'v3', 1, true, t0 + 1);
    expect(queued.next).toEqual({ build: 'v3', warmServers: 1 });
    expect(idleSlot(queued).build).toBe('v1');
    const r = decideCycle(queued, [fleet('arena', 'v2')], t0 + 2);
    expect(r?.steps).toEqual(['relabel', 'snapshot', 'clone', 'stage']);
    expect(idleSlot(r!.env)).toMatchObject({ build: 'v3', warmServers: 1, stagedAt: t0 + 2 });
    expect(r?.env.next).toBeNull();
  });

  it('refuses to stage the live build', () => {
    expect(() => stage(env(), 'v1', 2, false, t0)).toThrow(expect.objectContaining({ code: 'ENV_STAGE_LIVE_BUILD' }));
  });
});

describe('restore', () => {
  it('releases the snapshot build to the fleets that left it, then brings back its slots', () => {
    const before = env();
    const { snapshot } = takeSnapshot(before, [fleet('arena', 'v1')], t0, 'manual');
    const after = decideCycle(stage(before, 'v2', undefined, false, t0), [fleet('arena', 'v2')], t0 + 1)!.env;
    const { env: restoring, releases } = planRestore(after, snapshot, [fleet('arena', 'v2')], t0 + 2);
    expect(releases).toEqual(['arena']);
    expect(restoring.restoring).toEqual({ snapshot: 1, build: 'v1', startedAt: t0 + 2 });
    expect(decideCycle(restoring, [fleet('arena', 'v2', true)], t0 + 3)).toBeNull();
    const done = decideCycle(restoring, [fleet('arena', 'v1')], t0 + 4, snapshot);
    expect(done?.steps).toEqual(['restored', 'snapshot']);
    expect(done?.env.live).toBe(snapshot.live);
    expect(done?.env.slots).toEqual(snapshot.slots);
    expect(done?.env.restoring).toBeNull();
    expect(done?.snapshots[0]).toMatchObject({ number: after.lastSnapshot + 1, reason: 'restored from #1' });
  });

  it('stops waiting when the release back settles on another build (aborted)', () => {
    const { snapshot } = takeSnapshot(env(), [fleet('arena', 'v1')], t0, 'manual');
    const current = decideCycle(env(), [fleet('arena', 'v2')], t0 + 1)!.env;
    const { env: restoring } = planRestore(current, snapshot, [fleet('arena', 'v2')], t0 + 2);
    const r = decideCycle(restoring, [fleet('arena', 'v2')], t0 + 3, snapshot);
    expect(r?.steps).toEqual(['restore-abandoned']);
    expect(r?.env.restoring).toBeNull();
    expect(liveSlot(r!.env).build).toBe('v2');
  });

  it('refuses while a release is in flight', () => {
    const { snapshot } = takeSnapshot(env(), [fleet('arena', 'v1')], t0, 'manual');
    expect(() => planRestore(env(), snapshot, [fleet('arena', 'v1', true)], t0)).toThrow(expect.objectContaining({ code: 'ENV_BUSY' }));
  });
});

describe('properties', () => {
  const builds = fc.constantFrom('v1', 'v2', 'v3');
  const obs = fc.array(fc.record({ build: builds, releasing: fc.boolean() }), { minLength: 1, maxLength: 3 });

  it('after any cycle the live slot runs what every fleet runs, and the idle slot is never staged with the live build', () => {
    fc.assert(fc.property(builds, fc.option(builds, { nil: undefined }), obs, (start, staged, fleets) => {
      let e = env(start, fleets.map((_, i) => `f${i}`));
      if (staged !== undefined && staged !== start) e = stage(e, staged, 1, false, t0);
      const observed = fleets.map((f, i) => fleet(`f${i}`, f.build, f.releasing));
      const r = decideCycle(e, observed, t0 + 1);
      const settled = settledBuild(observed);
      if (settled === null) expect(r).toBeNull();
      else if (r) {
        expect(liveSlot(r.env).build).toBe(settled);
        if (idleSlot(r.env).stagedAt !== null) expect(idleSlot(r.env).build).not.toBe(settled);
      }
    }));
  });

  it('numbers snapshots 1, 2, 3, … per environment', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), (n) => {
      let e = env();
      const numbers: number[] = [];
      for (let i = 0; i < n; i++) {
        const taken = takeSnapshot(e, [fleet('arena', 'v1')], t0 + i, 'manual');
        numbers.push(taken.snapshot.number);
        e = taken.env;
      }
      expect(numbers).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }));
  });
});
