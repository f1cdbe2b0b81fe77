import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GentleMigrationSchema, migrationFromDrain, type GentleMigration } from './migration.js';
import { planMigration } from './plan-migration.js';
import type { RolloutServer } from './strategy.js';

const T0 = 7_000_000;
const s = (id: string, used: number, migrationDeadline: number | null = null): RolloutServer => ({ id, build: 'v1', state: used > 0 ? 'Active' : 'Ready', used, migrationDeadline });
const old = [s('o1', 3), s('o2', 1), s('o3', 0)];
/** The old servers once told of a deadline. */
const told = (deadline: number) => old.map((x) => ({ ...x, migrationDeadline: deadline }));
const fields = (over: Partial<Parameters<typeof planMigration>[1]> = {}) => ({
  toBuild: 'v2', switchedAt: T0, drainNoticeAt: null, migrationDeadline: null, migratedAt: null, ...over,
});
const m = (over: Partial<GentleMigration> = {}): GentleMigration => ({ afterSeconds: 100, belowPlayers: null, noticeSeconds: 30, tokenTtlSeconds: 120, ...over });

describe('planMigration', () => {
  it.each([
    ['no migration is configured', null, fields(), T0 + 1_000_000],
    ['the release has not switched yet', m(), fields({ switchedAt: null }), T0 + 1_000_000],
    ['the time trigger has not come', m(), fields(), T0 + 99_999],
    ['players are not yet below the threshold', m({ afterSeconds: null, belowPlayers: 4 }), fields(), T0 + 1],
  ])('does nothing when %s', (_when, migration, r, now) => {
    expect(planMigration(migration, r, old, now)).toEqual({ patch: {}, notices: [], migrate: [], migrateTo: null });
  });

  it.each([
    ['the announced deadline has not come', fields({ drainNoticeAt: T0 + 100_000, migrationDeadline: T0 + 130_000 }), T0 + 129_999],
    ['the migration already happened and the servers are empty', fields({ drainNoticeAt: T0, migrationDeadline: T0 + 130_000, migratedAt: T0 + 130_000 }), T0 + 1_000_000],
  ])('does nothing to announced servers when %s', (_when, r, now) => {
    const servers = r.migratedAt === null ? told(T0 + 130_000) : told(T0 + 130_000).map((x) => ({ ...x, used: 0 }));
    expect(planMigration(m(), r, servers, now)).toEqual({ patch: {}, notices: [], migrate: [], migrateTo: null });
  });

  it('announces the deadline to every old server once the time trigger holds, counted from the trigger', () => {
    const step = planMigration(m(), fields(), old, T0 + 100_500);
    expect(step.patch).toEqual({ drainNoticeAt: T0 + 100_500, migrationDeadline: T0 + 130_000 });
    expect(step.notices).toEqual(['o1', 'o2', 'o3'].map((serverId) => ({ serverId, notice: { type: 'migrate', build: 'v2', deadline: T0 + 130_000, at: T0 + 100_500 } })));
    expect(step.migrate).toEqual([]);
  });

  it('announces once fewer than N players are left on the old build, whatever the time', () => {
    const below = m({ afterSeconds: null, belowPlayers: 5 });
    expect(planMigration(below, fields(), [s('o1', 3), s('o2', 2)], T0 + 5).notices).toEqual([]);
    const step = planMigration(below, fields(), [s('o1', 3), s('o2', 1)], T0 + 5);
    expect(step.patch).toEqual({ drainNoticeAt: T0 + 5, migrationDeadline: T0 + 30_005 });
    expect(step.notices).toHaveLength(2);
  });

  it('takes whichever trigger holds first when both are given', () => {
    const both = m({ afterSeconds: 100, belowPlayers: 2 });
    expect(planMigration(both, fields(), old, T0 + 100_000).patch.migrationDeadline).toBe(T0 + 130_000);
    expect(planMigration(both, fields(), [s('o1', 1)], T0 + 10).patch.migrationDeadline).toBe(T0 + 30_010);
  });

  it('migrates the servers still hosting sessions at the deadline, with tokens to the new build', () => {
    const step = planMigration(m(), fields({ drainNoticeAt: T0 + 100_000, migrationDeadline: T0 + 130_000 }), told(T0 + 130_000), T0 + 130_000);
    expect(step).toEqual({ patch: { migratedAt: T0 + 130_000 }, notices: [], migrate: ['o1', 'o2'], migrateTo: { build: 'v2', tokenTtlSeconds: 120 } });
  });

  it('gives a notice of 0 s before migrating, one step later', () => {
    const now = T0 + 100_000;
    const first = planMigration(m({ noticeSeconds: 0 }), fields(), old, now);
    expect(first.notices).toHaveLength(3);
    expect(first.migrate).toEqual([]);
    expect(planMigration(m({ noticeSeconds: 0 }), fields(first.patch), told(now), now).migrate).toEqual(['o1', 'o2']);
  });

  it('gives an old server that got no notice its own, with the full notice time, and migrates it only then', () => {
    const r = fields({ drainNoticeAt: T0 + 100_000, migrationDeadline: T0 + 130_000 });
    const late = s('o4', 2);
    const step = planMigration(m(), r, [...told(T0 + 130_000), late], T0 + 120_000);
    expect(step.notices).toEqual([{ serverId: 'o4', notice: { type: 'migrate', build: 'v2', deadline: T0 + 150_000, at: T0 + 120_000 } }]);
    const atFirstDeadline = planMigration(m(), r, [...told(T0 + 130_000), { ...late, migrationDeadline: T0 + 150_000 }], T0 + 130_000);
    expect(atFirstDeadline.migrate).toEqual(['o1', 'o2']);
    expect(planMigration(m(), { ...r, migratedAt: T0 + 130_000 }, [{ ...late, migrationDeadline: T0 + 150_000 }], T0 + 150_000).migrate).toEqual(['o4']);
  });

  it('finds the deadline of a release recorded before the deadline was stored', () => {
    const legacy = fields({ drainNoticeAt: T0 + 70_000, migrationDeadline: undefined });
    expect(planMigration(m({ afterSeconds: 70 }), legacy, told(T0 + 100_000), T0 + 99_999)).toMatchObject({ patch: {}, migrate: [] });
    expect(planMigration(m({ afterSeconds: 70 }), legacy, told(T0 + 100_000), T0 + 100_000)).toMatchObject({ patch: { migratedAt: T0 + 100_000 }, migrate: ['o1', 'o2'] });
  });

  it.each([
    [{ deadlineSeconds: 100, noticeLeadSeconds: 30 }, { afterSeconds: 70, noticeSeconds: 30 }],
    [{ deadlineSeconds: 20, noticeLeadSeconds: 60 }, { afterSeconds: 0, noticeSeconds: 20 }],
  ])('reads a blue-green drain deadline %o as a migration after a time %o', (drain, expected) => {
    expect(migrationFromDrain(drain)).toMatchObject({ ...expected, belowPlayers: null });
  });

  it('refuses a migration without a trigger', () => {
    expect(GentleMigrationSchema.safeParse({ noticeSeconds: 60 }).success).toBe(false);
    expect(GentleMigrationSchema.parse({ belowPlayers: 10 })).toEqual({ afterSeconds: null, belowPlayers: 10, noticeSeconds: 60, tokenTtlSeconds: 120 });
  });

  it('never migrates a server it did not announce the move to, nor before the announced deadline (property)', () => {
    const server = fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd'), build: fc.constant('v1'), state: fc.constant('Active' as const), used: fc.nat(4) });
    const config = fc.record({
      afterSeconds: fc.option(fc.nat(300)), belowPlayers: fc.option(fc.integer({ min: 1, max: 20 })),
      noticeSeconds: fc.nat(120), tokenTtlSeconds: fc.constant(60),
    });
    fc.assert(fc.property(config, fc.array(fc.tuple(fc.array(server, { maxLength: 4 }), fc.nat(50_000)), { maxLength: 30 }), (migration, passes) => {
      let r = fields();
      let now = T0;
      const announced = new Map<string, number>();
      for (const [servers, dt] of passes) {
        now += dt;
        // The observation carries what was announced to each server (the service records it).
        const observed = servers.map((x) => ({ ...x, migrationDeadline: announced.get(x.id) ?? null }));
        const step = planMigration(migration, r, observed, now);
        for (const id of step.migrate) {
          const deadline = announced.get(id);
          expect(deadline, `${id} was announced`).toBeDefined();
          expect(now).toBeGreaterThanOrEqual(deadline ?? Infinity);
        }
        for (const n of step.notices) if (n.notice.type === 'migrate') announced.set(n.serverId, n.notice.deadline);
        r = { ...r, ...step.patch };
      }
    }));
  });
});
