import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandoffSdk } from '../../src/sdk/client.js';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type Json, type TestPlane } from '../support/control-plane.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The drain forecast against a real control plane: sessions allocated through the API, played
 * and ended by the test acting as the game server (with its token, as the SDK does), some
 * closed by the API; the forecast reads the ends from the store and the open ones from memory.
 */
describe('the drain forecast of a fleet', () => {
  let t: TestPlane;
  let sdk: HandoffSdk;
  const allocate = async (fleet: string, playerId: string): Promise<Json> => {
    const a = await t.call('POST', '/v1/allocations', { fleet, playerId });
    expect(a.status).toBe(201);
    return a.body;
  };
  const forecast = async (query: string) => t.call('GET', `/v1/fleets/arena/forecast?${query}`);

  beforeAll(async () => {
    t = await startTestPlane({ portBase: 43_500 });
    await t.call('POST', '/v1/apply', {
      builds: [fixtureBuild('v1', [], 64)],
      fleets: [fleetSpec('arena', 'v1', { minServers: 1, maxServers: 1 }), fleetSpec('lobby', 'v1', { minServers: 1, maxServers: 1 })],
    });
    const server = await waitFor(() => [...t.cp.world.servers.values()].find((s) => s.fleet === 'arena' && s.state === 'Ready'), 'a Ready server');
    await waitFor(() => [...t.cp.world.servers.values()].find((s) => s.fleet === 'lobby' && s.state === 'Ready'), 'a Ready lobby server');
    sdk = new HandoffSdk({ url: t.cp.sdkUrl, token: server.token, serverId: server.id, log: () => undefined });

    // 24 players connect together and leave one by one, 25 ms apart: lengths spread out, the
    // last to leave played longest. Three more are closed by the API (censored, not ends).
    const played = [];
    for (let i = 0; i < 24; i++) played.push(await allocate('arena', `p${i}`));
    for (const a of played) await sdk.sessionStarted(a.playerId, a.joinToken);
    for (const i of [0, 1, 2]) {
      const cut = await allocate('arena', `cut${i}`);
      expect((await t.call('DELETE', `/v1/sessions/${cut.sessionId}`)).body.closeReason).toBe('api');
    }
    for (const a of played) {
      await sleep(25);
      await sdk.sessionEnded(a.playerId, 'ended', { sessionId: a.sessionId });
    }
    // Three players still playing, who just arrived.
    for (const i of [0, 1, 2]) await allocate('arena', `stay${i}`);
  }, 30_000);
  afterAll(() => t.close());

  it('forecasts when the build will be empty, with sample sizes, from ends observed through the SDK', async () => {
    const res = await forecast('build=v1');
    expect(res.status).toBe(200);
    const f = res.body;
    expect(f).toMatchObject({ fleet: 'arena', build: 'v1', status: 'ok', openSessions: 3, deadline: null });
    expect(f.sample).toMatchObject({ closed: 27, events: 24, open: 3, openedAfter: null });
    const { p10, p50, p90 } = f.emptyAt;
    // The longest session ended last, so the curve reaches 0 and every percentile is known.
    expect([p10.laterThan, p50.laterThan, p90.laterThan]).toEqual([null, null, null]);
    expect(p10.at).toBeGreaterThan(f.now);
    expect(p50.at).toBeGreaterThanOrEqual(p10.at);
    expect(p90.at).toBeGreaterThanOrEqual(p50.at);
    expect(p90.at - f.now).toBeLessThanOrEqual(f.sample.longestObservedMs);
    // The i-th shortest of 24 lengths is at least 25·i ms; the median of three fresh sessions'
    // maximum needs S ≤ 0.21, i.e. about 19 of the 24 ended, so well past the 15th.
    expect(p50.at - f.now).toBeGreaterThanOrEqual(15 * 25);
  });

  it('warns about a deadline that would cut sessions, and not about one after every observed length', async () => {
    const past = (await forecast('build=v1&deadline=1')).body.deadline;
    expect(past).toMatchObject({ deadline: 1, openSessions: 3, expectedOpen: 3, probabilityAnyCut: 1, warn: true });
    expect(past.reason).toMatch(/3\.0 of 3 open session/);
    const soon = (await forecast('build=v1&deadlineSeconds=0')).body;
    expect(soon.deadline).toMatchObject({ deadline: soon.now, expectedOpen: 3, warn: true });
    const later = (await forecast('build=v1&deadlineSeconds=3600')).body.deadline;
    expect(later).toMatchObject({ openSessions: 3, expectedOpen: 0, probabilityAnyCut: 0, extrapolated: 0, warn: false, reason: null });
  });

  it('answers insufficient data, without numbers, for a fleet with too few observed ends', async () => {
    await allocate('lobby', 'lonely');
    const f = (await t.call('GET', '/v1/fleets/lobby/forecast?build=v1&deadlineSeconds=60')).body;
    expect(f).toMatchObject({ status: 'insufficient-data', openSessions: 1, emptyAt: null, sample: { events: 0, open: 1 } });
    expect(f.deadline).toMatchObject({ expectedOpen: null, probabilityAnyCut: null, warn: true });
  }, 20_000);

  it('reports a build with no open sessions in the fleet as empty now', async () => {
    await t.call('PUT', '/v1/builds/v0', { ...fixtureBuild('v0'), id: undefined });
    const empty = (await forecast('build=v0')).body;
    expect(empty).toMatchObject({ status: 'empty', openSessions: 0, emptyAt: { p50: { at: empty.now } } });
  });

  it.each([
    ['/v1/fleets/ghost/forecast?build=v1', 404, 'FLEET_NOT_FOUND'],
    ['/v1/fleets/arena/forecast?build=v9', 404, 'BUILD_NOT_FOUND'],
    ['/v1/fleets/arena/forecast', 400, 'VALIDATION_FAILED'],
    ['/v1/fleets/arena/forecast?build=v1&deadline=soon', 400, 'VALIDATION_FAILED'],
    ['/v1/fleets/arena/forecast?build=v1&deadline=5&deadlineSeconds=5', 400, 'VALIDATION_FAILED'],
    ['/v1/fleets/arena/forecast?build=v1&deadlineSeconds=-1', 400, 'VALIDATION_FAILED'],
    ['/v1/fleets/arena/forecast?build=v1&dedline=5', 400, 'UNKNOWN_FIELD'],
  ])('refuses GET %s with %d %s', async (route, status, code) => {
    const res = await t.call('GET', route);
    expect([res.status, res.body.error.code]).toEqual([status, code]);
  });
});
