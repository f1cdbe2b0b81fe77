import { describe, expect, it } from 'vitest';
import { chooseServer } from '../../../allocation/choose.js';
import { planAbort, planPromote } from '../../commands.js';
import type { Rollout } from '../../model.js';
import { fleetRoles } from '../../roles.js';
import type { RolloutServer } from '../../strategy.js';
import { abTest, validateAbTest, variantTargets } from './index.js';
import { abRouting, planAbTest } from './plan.js';
import type { AbTestSpec, AbVariant } from './spec.js';

const T0 = 7_000_000;
const v = (build: string, weight: number, over: Partial<AbVariant> = {}): AbVariant => ({ name: null, build, weight, cohort: null, ...over });
const abSpec = (variants: AbVariant[], over: Partial<AbTestSpec> = {}): AbTestSpec => ({
  strategy: 'ab-test', variants, drain: null, oldIdleSeconds: 5, readyTimeoutSeconds: 60, maxStartFailures: 3, ...over,
});
const AB = abSpec([v('v1', 50, { name: 'A' }), v('v2', 30, { name: 'B' }), v('v3', 20, { name: 'C', cohort: { players: ['alice'], attributes: {}, regions: [] } })]);
type AbRollout = Rollout & { spec: AbTestSpec };
const rollout = (over: Partial<Omit<Rollout, 'spec'>> & { spec?: AbTestSpec } = {}): AbRollout => ({
  id: 'ro_ab', fleet: 'arena', fromBuild: 'v1', toBuild: 'v2', spec: AB,
  phase: 'Provisioning', message: '', targetServers: 2, startFailures: 0, lastFailure: null, smoke: null,
  progressState: { targets: { v1: 2, v2: 1, v3: 1 }, winner: null, winnerName: null, decidedAt: null },
  previousRouting: { entries: [{ build: 'v1', weight: 100 }] },
  createdAt: T0, updatedAt: T0, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null,
  migratedAt: null, completedAt: null, abortedAt: null, failedAt: null, ...over,
});
const s = (id: string, build: string, state: RolloutServer['state'] = 'Ready', used = 0): RolloutServer => ({ id, build, state, used });
const fleet = [s('a1', 'v1', 'Active', 3), s('b1', 'v2'), s('c1', 'v3')];

describe('planAbTest', () => {
  it('waits until every new variant has its servers Ready, leaving the current build alone', () => {
    const p = planAbTest({ rollout: rollout(), servers: [s('a1', 'v1', 'Active', 3), s('b1', 'v2'), s('c1', 'v3', 'Starting')], now: T0 + 1 });
    expect(p.routing).toBeNull();
    expect(p.patch).toEqual({ message: 'waiting for servers Ready: v3 0/1' });
  });

  it('starts the test with one entry per variant in the order given, each variant\'s cohort, and the release id as salt', () => {
    const p = planAbTest({ rollout: rollout(), servers: fleet, now: T0 + 2 });
    expect(p.routing).toEqual({
      entries: [{ build: 'v1', weight: 50 }, { build: 'v2', weight: 30 }, { build: 'v3', weight: 20 }],
      rules: [{ name: 'variant-C-players', build: 'v3', players: ['alice'] }],
      salt: 'ro_ab',
    });
    expect(p.patch).toMatchObject({ phase: 'Progressing', switchedAt: T0 + 2, readyAt: T0 + 2, message: 'A/B test running: A (v1) 50%, B (v2) 30%, C (v3) 20%; end it with promote --variant NAME' });
  });

  it('never ends by itself', () => {
    const running = rollout({ phase: 'Progressing', switchedAt: T0 });
    for (const now of [T0 + 1, T0 + 86_400_000 * 30]) expect(planAbTest({ rollout: running, servers: fleet, now })).toMatchObject({ patch: {}, routing: null });
  });

  it.each([['its name', 'B'], ['its build', 'v2']])('promote --variant (by %s) gives the chosen variant every new session, and the others drain', (_by, variant) => {
    const running = rollout({ phase: 'Progressing', switchedAt: T0 });
    const chosen = { ...running, ...planPromote(running, { variant }, T0 + 10) } as AbRollout;
    const p = planAbTest({ rollout: chosen, servers: fleet, now: T0 + 11 });
    expect(p.routing).toEqual({ entries: [{ build: 'v1', weight: 0 }, { build: 'v2', weight: 100 }, { build: 'v3', weight: 0 }], salt: 'ro_ab' });
    expect(p.patch).toMatchObject({ phase: 'Draining', message: 'variant B chosen: every new session goes to v2; v1, v3 emptying', progressState: { winner: 'v2', decidedAt: T0 + 11 } });
    const draining = { ...chosen, ...p.patch } as AbRollout;
    expect(planAbTest({ rollout: draining, servers: fleet, now: T0 + 12 }).patch.phase).toBeUndefined();
    const done = planAbTest({ rollout: draining, servers: [s('b1', 'v2')], now: T0 + 13 });
    expect(done).toMatchObject({ patch: { phase: 'Completed' }, completeFleetWith: 'v2', routing: { entries: [{ build: 'v2', weight: 100 }] } });
  });

  it('lets the baseline win: the fleet stays on its build and the challengers retire', () => {
    const running = rollout({ phase: 'Progressing', switchedAt: T0 });
    const chosen = { ...running, ...planPromote(running, { variant: 'A' }, T0 + 10) } as AbRollout;
    const draining = { ...chosen, ...planAbTest({ rollout: chosen, servers: fleet, now: T0 + 11 }).patch } as AbRollout;
    expect(Object.fromEntries(fleetRoles({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }, { build: 'v3', weight: 0 }] }, 600, draining))).toEqual({
      v1: { role: 'routed', share: 1 }, v2: { role: 'retiring', idleSeconds: 5 }, v3: { role: 'retiring', idleSeconds: 5 },
    });
    expect(planAbTest({ rollout: draining, servers: [s('a1', 'v1', 'Active', 3)], now: T0 + 12 }).completeFleetWith).toBe('v1');
  });

  it('closes what is left on the losing variants at the drain deadline, after a notice', () => {
    const spec = { ...AB, drain: { deadlineSeconds: 60, noticeLeadSeconds: 20 } };
    const r = rollout({ spec, phase: 'Draining', switchedAt: T0, progressState: { targets: {}, winner: 'v2', winnerName: 'B', decidedAt: T0 } });
    const notice = planAbTest({ rollout: r, servers: fleet, now: T0 + 40_000 });
    expect(notice.notices.map((n) => n.serverId)).toEqual(['a1', 'c1']);
    expect(notice.migrate).toEqual([]);
    expect(planAbTest({ rollout: { ...r, drainNoticeAt: T0 + 40_000 }, servers: fleet, now: T0 + 60_000 }).migrate).toEqual(['a1']);
  });

  it('fails a crash-looping variant and restores the routing', () => {
    const p = planAbTest({ rollout: rollout({ phase: 'Progressing', startFailures: 3 }), servers: fleet, now: T0 });
    expect(p.patch.phase).toBe('Failed');
    expect(p.routing).toEqual({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] });
  });

  it('keeps each player on one variant, and sends the cohort to its variant whatever the weights', () => {
    const table = abRouting(rollout());
    const candidates = fleet.map((x) => ({ id: x.id, build: x.build, state: 'Active', capacity: 1e6, used: 0, createdAt: 0, leaving: false }));
    const place = (playerId: string) => chooseServer({ playerId, partyId: null, clientVersion: null, routing: table, accepts: () => true, candidates, partyServers: [], partyPolicy: 'together' });
    expect(place('alice')).toMatchObject({ ok: true, build: 'v3' });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const first = place(`p${i}`);
      expect(place(`p${i}`)).toEqual(first);
      if (first.ok) counts[first.build] = (counts[first.build] ?? 0) + 1;
    }
    for (const [build, w] of [['v1', 0.5], ['v2', 0.3], ['v3', 0.2]] as const) {
      expect(Math.abs((counts[build] ?? 0) - 10_000 * w), build).toBeLessThanOrEqual(4 * Math.sqrt(10_000 * w * (1 - w)));
    }
  });
});

describe('A/B test validation and commands', () => {
  it.each<[string, AbVariant[], string | undefined]>([
    ['one variant', [v('v2', 100)], 'v2'],
    ['weights summing to 90', [v('v1', 50), v('v2', 40)], 'v2'],
    ['weights summing to 110', [v('v1', 60), v('v2', 50)], 'v2'],
    ['a build listed twice', [v('v2', 50), v('v2', 50)], 'v2'],
    ['a name used twice', [v('v1', 50, { name: 'A' }), v('v2', 50, { name: 'A' })], 'v2'],
    ['a variant nobody can reach', [v('v1', 100), v('v2', 0)], 'v2'],
    ['the release build missing from the variants', [v('v1', 50), v('v3', 50)], 'v2'],
  ])('refuses %s with ROLLOUT_VARIANTS_INVALID', (_what, variants, build) => {
    expect(() => validateAbTest(abSpec(variants), build === undefined ? undefined : { build })).toThrow(expect.objectContaining({ code: 'ROLLOUT_VARIANTS_INVALID' }));
  });

  it('accepts a cohort-only variant at weight 0, and two challengers beside a draining baseline', () => {
    expect(() => validateAbTest(abSpec([v('v1', 100), v('v2', 0, { cohort: { players: [], attributes: { beta: 'true' }, regions: [] } })]), { build: 'v2' })).not.toThrow();
    expect(() => validateAbTest(abSpec([v('v2', 50), v('v3', 50)]), { build: 'v2' })).not.toThrow();
  });

  it.each([
    ['without a variant', {}, 'Progressing', 'ROLLOUT_VARIANTS_INVALID'],
    ['naming an unknown variant', { variant: 'Z' }, 'Progressing', 'ROLLOUT_VARIANTS_INVALID'],
    ['before the test runs', { variant: 'B' }, 'Provisioning', 'ROLLOUT_INVALID_PHASE'],
    ['after a variant was chosen', { variant: 'B' }, 'Draining', 'ROLLOUT_INVALID_PHASE'],
  ] as const)('refuses promote %s', (_what, input, phase, code) => {
    expect(() => planPromote(rollout({ phase }), input, T0)).toThrow(expect.objectContaining({ code }));
  });

  it('abort sends every new session back where it went before and retires the new variants', () => {
    const running = rollout({ phase: 'Progressing', switchedAt: T0 });
    const p = planAbort(running, fleet, T0 + 1);
    expect(p.routing).toEqual({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] });
    const aborted = { ...running, ...p.patch } as AbRollout;
    expect(Object.fromEntries(fleetRoles(p.routing!, 600, aborted))).toEqual({
      v1: { role: 'routed', share: 1 }, v2: { role: 'retiring', idleSeconds: 5 }, v3: { role: 'retiring', idleSeconds: 5 },
    });
  });

  it('previews the new variants only, and has routed once the test runs', () => {
    expect(Object.fromEntries(fleetRoles({ entries: [{ build: 'v1', weight: 100 }] }, 600, rollout()))).toEqual({
      v1: { role: 'routed', share: 1 }, v2: { role: 'preview', target: 1 }, v3: { role: 'preview', target: 1 },
    });
    expect(abTest.hasRouted(rollout())).toBe(false);
    expect(abTest.hasRouted(rollout({ phase: 'Progressing', switchedAt: T0 }))).toBe(true);
  });

  it('starts servers for each variant by its share of the old build, at least one', () => {
    expect(variantTargets(AB, { maxServers: 8 }, 6)).toEqual({ v1: 3, v2: 2, v3: 2 });
    expect(abTest.init(AB, { capacity: { minServers: 1, maxServers: 8 }, runningOld: 6, fromBuild: 'v1' }, T0).targetServers).toBe(4);
  });
});
