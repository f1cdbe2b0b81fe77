import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { HandoffError } from '../../core/errors.js';
import type { CloseReason } from '../../session/model.js';
import { Persister } from '../../state/persister.js';
import { World } from '../../state/world.js';
import { sampleBuild, sampleFleet, sampleSession } from '../../store/fixtures.js';
import type { SessionQuery, StateStore } from '../../store/port.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { ForecastService, type ForecastServiceOptions } from './service.js';

function setup(opts: Partial<ForecastServiceOptions> = {}) {
  const clock = new FakeClock();
  const inner = SqliteStore.open(':memory:');
  const reads: SessionQuery[] = [];
  let failNext = false;
  // Counts store reads (the cache must save them) and can fail one, like a busy disk.
  const store: StateStore = Object.assign(Object.create(inner) as StateStore, {
    listSessions: (q: SessionQuery) => {
      reads.push(q);
      if (failNext) {
        failNext = false;
        return Promise.reject(new HandoffError('STORE_UNAVAILABLE'));
      }
      return inner.listSessions(q);
    },
  });
  const world = new World();
  world.putBuild(sampleBuild({ id: 'v1' }));
  world.putBuild(sampleBuild({ id: 'v2' }));
  world.fleets.set('arena', sampleFleet({ name: 'arena', currentBuild: 'v2' }));
  const persister = new Persister(store);
  const service = new ForecastService({ world, store, persister, clock }, { minEvents: 3, cacheTtlMs: 5_000, ...opts });
  let n = 0;
  /** Stores a session of `ms` that closed just now. */
  const closed = (ms: number, closeReason: CloseReason = 'ended') => {
    const now = clock.now();
    const s = sampleSession({ id: `c${n++}`, fleet: 'arena', build: 'v2', state: 'Closed', openedAt: now - ms, closedAt: now, closeReason });
    return inner.commit([{ kind: 'putSession', session: s }]);
  };
  const open = (build: string, ageMs: number) =>
    world.addSession(sampleSession({ id: `o${n++}`, playerId: `p${n}`, fleet: 'arena', build, openedAt: clock.now() - ageMs }));
  return { clock, world, service, reads, closed, open, failOnce: () => (failNext = true) };
}

describe('ForecastService', () => {
  it('forecasts from the fleet\'s closed sessions in the store and its open ones in memory', async () => {
    const { service, closed, open, clock } = setup();
    for (const ms of [1_000, 2_000, 3_000, 4_000]) await closed(ms);
    await closed(9_000, 'migrated');
    open('v1', 500);
    open('v2', 100);
    const f = await service.forecast('arena', 'v1', { afterMs: 10_000 });
    expect(f).toMatchObject({ fleet: 'arena', build: 'v1', now: clock.now(), status: 'ok', openSessions: 1, oldestAgeMs: 500 });
    expect(f.sample).toEqual({ closed: 5, events: 4, open: 2, openedAfter: null, longestObservedMs: 9_000 });
    // Lengths 0.1+ 0.5+ 1 2 3 4 9+ s (+: censored): S = .8 at 1 s, .6 at 2, .4 at 3, .2 at 4 s.
    // The v1 session, 0.5 s old, ends with P(R > t) = S(0.5 s + t).
    expect(f.emptyAt).toEqual({
      p10: { at: clock.now() + 500, laterThan: null },
      p50: { at: clock.now() + 2_500, laterThan: null },
      p90: { at: null, laterThan: clock.now() + 8_500 },
    });
    // 10.5 s is past the 9 s observed: S stays at most .2 there.
    expect(f.deadline).toMatchObject({ deadline: clock.now() + 10_000, openSessions: 1, expectedOpen: expect.closeTo(0.2, 12), extrapolated: 1, warn: true });
  });

  it('reads the store once per fleet within the cache time, and again after it', async () => {
    const { service, closed, open, reads, clock } = setup();
    for (const ms of [1_000, 2_000, 3_000]) await closed(ms);
    open('v1', 0);
    await Promise.all([service.forecast('arena', 'v1'), service.forecast('arena', 'v1')]);
    await closed(4_000);
    clock.advance(4_999);
    expect((await service.forecast('arena', 'v1')).sample.closed).toBe(3);
    expect(reads).toHaveLength(1);
    clock.advance(1);
    expect((await service.forecast('arena', 'v1')).sample.closed).toBe(4);
    expect(reads).toEqual([{ fleet: 'arena', open: false, limit: 2_000 }, { fleet: 'arena', open: false, limit: 2_000 }]);
  });

  it('sees open sessions at once, even while closed ones come from the cache', async () => {
    const { service, closed, open } = setup();
    for (const ms of [1_000, 2_000, 3_000]) await closed(ms);
    expect((await service.forecast('arena', 'v1')).status).toBe('empty');
    open('v1', 0);
    expect((await service.forecast('arena', 'v1')).openSessions).toBe(1);
  });

  it('reads a bounded page and then keeps only the cohort it covers', async () => {
    const { service, closed, open, reads, clock } = setup({ windowClosedSessions: 3 });
    for (const ms of [10_000, 3_000, 2_000, 1_000]) await closed(ms);
    open('v1', 60_000);
    const f = await service.forecast('arena', 'v1');
    expect(reads[0]?.limit).toBe(3);
    expect(f.sample).toMatchObject({ closed: 2, open: 0, openedAfter: clock.now() - 3_000 });
    expect(f.openSessions).toBe(1);
  });

  it('does not cache a failed read', async () => {
    const { service, failOnce, reads } = setup();
    failOnce();
    await expect(service.forecast('arena', 'v1')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((await service.forecast('arena', 'v1')).status).toBe('empty');
    expect(reads).toHaveLength(2);
  });

  it.each([
    ['ghost', 'v1', 'FLEET_NOT_FOUND'],
    ['arena', 'v9', 'BUILD_NOT_FOUND'],
  ])('refuses fleet %s build %s with %s', async (fleet, build, code) => {
    await expect(setup().service.forecast(fleet, build)).rejects.toMatchObject({ code });
  });
});
