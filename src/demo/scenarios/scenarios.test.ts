import { describe, expect, it } from 'vitest';
import { RolloutStartSchema } from '../../api/schemas.js';
import { strategyNames } from '../../rollout/strategies/index.js';
import { DemoStrategies } from '../options.js';
import { emptyStats } from '../player-stats.js';
import { abTestScenario } from './ab-test.js';
import { awaitsPromotion, canaryScenario } from './canary.js';
import { refusalMessage } from './drive.js';
import { dynamicPoolScenario } from './dynamic-pool.js';
import { scenarioFor } from './index.js';
import { maintenanceScenario, windowOf } from './maintenance.js';
import { batchesSeen, rollingScenario } from './rolling.js';
import { ApiError, type DemoApi, type DriveContext, type FigureInput, type ReleaseEnv, type SessionFact, type TraceSample } from './types.js';

const env: ReleaseEnv = { fleet: 'arena', fromBuild: 'v1', toBuild: 'v2', playerIds: ['sim-1', 'sim-2', 'sim-3'], now: 1_000_000 };
const T0 = env.now;
const sample = (dt: number, weights: Record<string, number>, servers: TraceSample['servers'] = {}, phase = 'Running'): TraceSample => ({ at: T0 + dt, phase, weights, servers });
const session = (playerId: string, build: string, openedAt: number, closedAt: number | null = null, closeReason: string | null = closedAt === null ? null : 'ended'): SessionFact => ({ playerId, build, openedAt, closedAt, closeReason });
const figureInput = (over: Partial<FigureInput>): FigureInput => ({ env, rollout: {}, trace: [], sessions: [], players: emptyStats(), startedAt: T0, ...over });
const valueOf = (figures: { key: string; value: unknown }[], key: string) => figures.find((f) => f.key === key)?.value;

describe('scenarios', () => {
  it.each(DemoStrategies)('the %s scenario asks for its own strategy, for the demo fleet and the new build', (strategy) => {
    const s = scenarioFor(strategy);
    expect(s.strategy).toBe(strategy);
    expect(s.request(env)).toMatchObject({ fleet: 'arena', build: 'v2', strategy });
  });

  it.each(strategyNames)('sends a %s request the control plane accepts as it is', (strategy) => {
    expect(RolloutStartSchema.safeParse(scenarioFor(strategy).request(env)).error).toBeUndefined();
  });

  it('sends an in-place canary request the control plane accepts, only when asked to', () => {
    const inPlace = scenarioFor('canary', { canaryServers: 'in-place' });
    expect(inPlace.request(env)).toMatchObject({ strategy: 'canary', servers: 'in-place', inPlaceServers: 1 });
    expect(RolloutStartSchema.safeParse(inPlace.request(env)).error).toBeUndefined();
    expect(inPlace.headline).toMatch(/in place/);
    expect(scenarioFor('canary').request(env)).not.toHaveProperty('servers');
  });

  it('hands out a fresh scenario per run, so what one run did is not remembered by the next', () => {
    expect(scenarioFor('canary')).not.toBe(scenarioFor('canary'));
  });
});

describe('refusalMessage', () => {
  const refused = (code: string, issues: { path: string }[] = []) => new ApiError(400, code, 'nope', { issues });
  it.each<[string, boolean, ApiError, RegExp]>([
    ['a strategy the schema does not know, before it lands', false, refused('VALIDATION_FAILED', [{ path: 'body.strategy' }]), /does not run the canary strategy yet/],
    ['the strategy\'s own fields refused as unknown, before it lands', false, refused('UNKNOWN_FIELD'), /does not run the canary strategy yet/],
    ['a landed strategy whose request shape drifted', true, refused('UNKNOWN_FIELD'), /update src\/demo\/scenarios\/canary\.ts/],
  ])('explains %s', (_name, landed, e, hint) => {
    const m = refusalMessage({ strategy: 'canary', landed }, e);
    expect(m).toMatch(/^the control plane refused the canary release: 400 \w+: nope/);
    expect(m).toMatch(hint);
  });

  it('passes any other refusal on as it is', () => {
    expect(refusalMessage({ strategy: 'canary', landed: false }, new ApiError(404, 'FLEET_NOT_FOUND', 'no fleet arena', {}))).toBe('the control plane refused the canary release: 404 FLEET_NOT_FOUND: no fleet arena');
  });
});

/** A DemoApi that records the commands a scenario sends; scenarios' steps only ever POST. */
function recorder(): { ctx: DriveContext; calls: string[]; at: (ms: number) => void } {
  const calls: string[] = [];
  let now = T0;
  const api: DemoApi = { call: (method, route, body) => (calls.push(`${method} ${route}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`), Promise.resolve({})) };
  return { ctx: { api, rolloutId: 'ro_1', env, say: () => undefined, now: () => now }, calls, at: (ms) => (now = T0 + ms) };
}

describe('canary', () => {
  it.each([
    [{ phase: 'AwaitingPromotion' }, true],
    [{ phase: 'Paused' }, true],
    [{ phase: 'Running', progressState: { awaitingPromotion: true } }, true],
    [{ phase: 'Running' }, false],
    [{ phase: 'Draining', progressState: { awaitingPromotion: false } }, false],
  ])('reads %j as waiting for promote: %s', (rollout, expected) => {
    expect(awaitsPromotion(rollout)).toBe(expected);
  });

  it('promotes a pause that waits for it after five seconds of play, once per pause', async () => {
    const s = canaryScenario();
    const { ctx, calls, at } = recorder();
    const paused = { phase: 'Paused' };
    await s.step?.(ctx, paused, []);
    at(4_999);
    await s.step?.(ctx, paused, []);
    expect(calls).toEqual([]);
    at(5_000);
    await s.step?.(ctx, paused, []);
    at(5_250);
    await s.step?.(ctx, { phase: 'Running' }, []);
    expect(calls).toEqual(['POST /v1/rollouts/ro_1/promote']);
  });

  it('reports the weight steps it saw, sticky players and where the cohort played', () => {
    const trace = [sample(0, { v1: 100, v2: 0 }), sample(1000, { v1: 80, v2: 20 }), sample(7000, { v1: 50, v2: 50 }), sample(15_000, { v2: 100 })];
    const sessions = [
      session('sim-1', 'v2', T0 + 1500), session('sim-2', 'v2', T0 + 2000),
      session('sim-3', 'v1', T0 + 2000), session('sim-3', 'v2', T0 + 3000), // switched within the 20% step
      session('sim-4', 'v1', T0 + 2000), session('sim-4', 'v2', T0 + 8000), // moved by the step to 50%: allowed
    ];
    const figures = canaryScenario().figures(figureInput({ trace, sessions }));
    expect(valueOf(figures, 'weightSteps')).toEqual([{ weight: 0, afterMs: 0 }, { weight: 20, afterMs: 1000 }, { weight: 50, afterMs: 7000 }, { weight: 100, afterMs: 15_000 }]);
    expect(valueOf(figures, 'playersOnBothBuilds')).toEqual(['sim-3']);
    expect(valueOf(figures, 'cohortOnCanary')).toEqual({ sessions: 2, onCanary: 2 });
  });
});

describe('rolling', () => {
  it('counts the batches it saw when the rollout does not report them', () => {
    const trace = [
      sample(0, {}, { v1: { Active: 3 } }), sample(1, {}, { v1: { Active: 2, Draining: 1 } }), sample(2, {}, { v1: { Active: 2, Draining: 1 } }),
      sample(3, {}, { v1: { Active: 2 }, v2: { Starting: 1 } }), sample(4, {}, { v1: { Active: 1, Draining: 1 }, v2: { Ready: 1 } }), sample(5, {}, { v2: { Active: 3 } }),
    ];
    expect(batchesSeen(trace, 'v1')).toBe(2);
    const figures = rollingScenario().figures(figureInput({ trace }));
    expect(valueOf(figures, 'batches')).toBe(2);
    expect(valueOf(figures, 'peakServers')).toEqual({ peak: 3, beforeRelease: 3 });
  });

  it('prefers the batch count the rollout reports', () => {
    expect(valueOf(rollingScenario().figures(figureInput({ rollout: { progressState: { batches: 4 } } })), 'batches')).toBe(4);
  });
});

describe('ab-test', () => {
  it('chooses variant B once both variants have served for twelve seconds, and only once', async () => {
    const s = abTestScenario();
    const { ctx, calls, at } = recorder();
    const one = [sample(0, { v1: 100, v2: 0 })];
    await s.step?.(ctx, {}, one);
    const both = [sample(0, { v1: 50, v2: 50 })];
    at(1_000);
    await s.step?.(ctx, {}, both);
    at(12_999);
    await s.step?.(ctx, {}, both);
    expect(calls).toEqual([]);
    at(13_000);
    await s.step?.(ctx, {}, both);
    at(14_000);
    await s.step?.(ctx, {}, both);
    expect(calls).toEqual(['POST /v1/rollouts/ro_1/promote {"variant":"B"}']);
  });

  it('reports sessions, mean length and abnormal closes per variant since the test began', () => {
    const sessions = [
      session('a', 'v1', T0 - 5000, T0 + 1000), // before the test: not counted
      session('a', 'v1', T0 + 1000, T0 + 5000), session('b', 'v1', T0 + 1000, T0 + 3000, 'server_crashed'),
      session('c', 'v2', T0 + 1000, T0 + 7000), session('d', 'v2', T0 + 2000),
    ];
    const figures = abTestScenario().figures(figureInput({ sessions }));
    expect(valueOf(figures, 'variantA')).toEqual({ name: 'A', build: 'v1', sessions: 2, meanLengthMs: 3000, abnormalCloses: 1 });
    expect(valueOf(figures, 'variantB')).toEqual({ name: 'B', build: 'v2', sessions: 2, meanLengthMs: 6000, abnormalCloses: 0 });
  });
});

describe('maintenance', () => {
  it('schedules the window ahead of the request, as an ISO time with its duration and notice lead', () => {
    const { startsAt } = windowOf(env);
    expect(startsAt).toBeGreaterThan(env.now);
    expect(maintenanceScenario().request(env)).toMatchObject({ strategy: 'maintenance', startsAt: new Date(startsAt).toISOString(), durationSeconds: 30, noticeLeadSeconds: 12 });
  });

  it('measures the downtime from the window\'s start to the first session after it', () => {
    const { startsAt } = windowOf(env);
    const sessions = [session('a', 'v1', startsAt - 3000, startsAt), session('b', 'v2', startsAt + 31_500), session('c', 'v2', startsAt + 32_000)];
    expect(valueOf(maintenanceScenario().figures(figureInput({ sessions })), 'downtimeMs')).toBe(31_500);
  });
});

describe('dynamic-pool', () => {
  it('reports where new sessions went once the new build was Ready, and when the old build was gone', () => {
    const trace = [sample(0, {}, { v1: { Active: 2 }, v2: { Starting: 2 } }), sample(2000, {}, { v1: { Active: 2 }, v2: { Ready: 2 } }), sample(9000, {}, { v2: { Active: 2 } })];
    const sessions = [session('a', 'v1', T0 + 1000), session('b', 'v2', T0 + 2500), session('c', 'v2', T0 + 3000), session('d', 'v1', T0 + 3500)];
    const figures = dynamicPoolScenario().figures(figureInput({ trace, sessions }));
    expect(valueOf(figures, 'newSessionsOnNewBuild')).toEqual({ onNew: 2, total: 3 });
    expect(valueOf(figures, 'oldBuildRetiredMs')).toBe(9000);
  });
});

describe('blue-green', () => {
  it('measures ready → switch, the old build emptying and its retirement', () => {
    const rollout = { readyAt: T0 + 1000, switchedAt: T0 + 1040, completedAt: T0 + 9000 };
    const sessions = [session('a', 'v1', T0, T0 + 5040), session('b', 'v2', T0 + 2000, T0 + 8000)];
    const figures = scenarioFor('blue-green').figures(figureInput({ rollout, sessions, players: { ...emptyStats(), drainNotices: 3 } }));
    expect(Object.fromEntries(figures.map((f) => [f.key, f.value]))).toEqual({ readyToSwitchMs: 40, oldBuildEmptyMs: 4000, switchToRetiredMs: 7960, drainNoticesShown: 3 });
  });

  it('does not claim the old build emptied while one of its sessions is open', () => {
    const figures = scenarioFor('blue-green').figures(figureInput({ rollout: { switchedAt: T0 }, sessions: [session('a', 'v1', T0 - 10, null)] }));
    expect(valueOf(figures, 'oldBuildEmptyMs')).toBeNull();
  });
});
