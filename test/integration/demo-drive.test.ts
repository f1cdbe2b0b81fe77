/**
 * The demo's scenario driver against a real control plane: a release the control plane refuses
 * fails at once with the reason (it never waits for a release that did not start), a release
 * that does not end is given up at the scenario's time, and a scenario's step steers a real
 * rollout (the canary's promote of a pause that waits for it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoStrategy } from '../../src/demo/options.js';
import { blueGreenScenario } from '../../src/demo/scenarios/blue-green.js';
import { canaryScenario } from '../../src/demo/scenarios/canary.js';
import { driveRelease, ScenarioRefusedError, startRelease } from '../../src/demo/scenarios/drive.js';
import { ApiError, type DemoApi, type ReleaseEnv, type Scenario } from '../../src/demo/scenarios/types.js';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type TestPlane } from '../support/control-plane.js';

const env = (now: number): ReleaseEnv => ({ fleet: 'drive', fromBuild: 'drive-v1', toBuild: 'drive-v2', playerIds: [], now });

describe('the demo scenario driver against a real control plane', () => {
  let t: TestPlane;
  let api: DemoApi;
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 43_700 });
    api = {
      call: async (method, route, body) => {
        const r = await t.call(method, route, body);
        if (r.status >= 400) throw new ApiError(r.status, r.body.error.code, r.body.error.message, r.body.error.details ?? {});
        return r.body;
      },
    };
    await api.call('POST', '/v1/apply', { builds: [fixtureBuild('drive-v1'), fixtureBuild('drive-v2')], fleets: [fleetSpec('drive', 'drive-v1', { minServers: 1, maxServers: 3 })] });
    await waitFor(async () => (await t.call('GET', '/v1/fleets/drive')).body.status.serversByState.Ready >= 1, 'a Ready server');
  });
  afterAll(() => t.close());

  it('fails at once, saying why, when the control plane does not know the strategy, and starts nothing', async () => {
    const bg = blueGreenScenario();
    const unknown: Scenario = { ...bg, strategy: 'warp' as DemoStrategy, landed: false, request: (e) => ({ ...bg.request(e), strategy: 'warp' }) };
    const refused = await startRelease(api, unknown, env(Date.now())).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ScenarioRefusedError);
    expect((refused as Error).message).toMatch(/^the control plane refused the warp release: 400 VALIDATION_FAILED: body\.strategy/);
    expect((refused as Error).message).toContain('does not run the warp strategy yet');
    expect((await t.call('GET', '/v1/rollouts?fleet=drive')).body.items).toEqual([]);
  });

  it('gives up on a release that has not ended by the scenario\'s time, then a step promotes it to the end', async () => {
    const waiting: Scenario = { ...canaryScenario(), request: (e) => ({ fleet: e.fleet, build: e.toBuild, autoPromote: false, oldIdleSeconds: 0 }) };
    const created = await startRelease(api, waiting, env(Date.now()));
    const ctx = { api, rolloutId: String(created['id']), env: env(Date.now()), say: () => undefined, now: () => Date.now() };
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

    // Nobody promotes: the release waits for promotion forever, the driver does not.
    const stalled = await driveRelease(ctx, { ...waiting, step: undefined }, { pollMs: 100, timeoutMs: 1500, sleep });
    expect(stalled.timedOut).toBe(true);
    expect(stalled.rollout['phase']).toBe('AwaitingPromotion');
    expect(stalled.trace.length).toBeGreaterThan(1);

    // The canary's step promotes a pause that waits for it; the release then runs to its end.
    const done = await driveRelease(ctx, waiting, { pollMs: 200, timeoutMs: 60_000, sleep });
    expect(done).toMatchObject({ timedOut: false, rollout: { phase: 'Completed' } });
    expect(done.trace.at(-1)?.weights).toEqual({ 'drive-v2': 100 });
  }, 90_000);
});
