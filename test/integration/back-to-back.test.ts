import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type Json, type TestPlane } from '../support/control-plane.js';

/**
 * Back-to-back releases on a real control plane: a hotfix on top of a patch whose old build
 * still hosts players. Sessions are held by reservations (the fixture game server never
 * confirms players), which keep their servers occupied just as connected players do.
 */
describe('back-to-back releases', () => {
  let t: TestPlane;
  const allocate = async (playerId: string): Promise<Json> => (await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId })).body;
  const rollout = async (id: string): Promise<Json> => (await t.call('GET', `/v1/rollouts/${id}`)).body;
  const start = async (build: string, extra: Record<string, unknown> = {}) => t.call('POST', '/v1/rollouts', { fleet: 'arena', build, oldIdleSeconds: 0, ...extra });

  beforeAll(async () => {
    t = await startTestPlane({ portBase: 42_300 });
    const apply = await t.call('POST', '/v1/apply', {
      builds: [fixtureBuild('v0'), fixtureBuild('v1'), fixtureBuild('v2')],
      fleets: [fleetSpec('arena', 'v0', { minServers: 1, maxServers: 4, bufferServers: 0 })],
    });
    expect(apply.status).toBe(200);
    await waitFor(async () => (await t.call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready === 1, 'a v0 server');
  });
  afterAll(() => t.close());

  it('drains v0 and v1 side by side while every new session lands on v2, and abort restores v1', async () => {
    const onV0 = await allocate('p0');
    expect(onV0.server?.build, JSON.stringify(onV0)).toBe("v0");

    const first = await start('v1');
    expect(first.status).toBe(201);
    await waitFor(async () => (await rollout(first.body.id)).phase === 'Draining', 'v1 switched');
    const onV1 = await allocate('p1');
    expect(onV1.server?.build, JSON.stringify(onV1)).toBe("v1");

    // v1 already takes new sessions: a release on top of it supersedes it instead of being refused.
    const second = await start('v2');
    expect(second.status).toBe(201);
    expect(second.body.fromBuild).toBe('v1');
    const superseded = await rollout(first.body.id);
    expect([superseded.phase, superseded.supersededBy]).toEqual(['Superseded', second.body.id]);
    await waitFor(async () => (await rollout(second.body.id)).phase === 'Draining', 'v2 switched');

    for (let i = 0; i < 3; i++) expect((await allocate(`new-${i}`)).server?.build).toBe("v2");
    // The players of v0 and v1 keep their sessions; both builds are listed as draining.
    expect((await t.call('GET', `/v1/sessions/${onV0.sessionId}`)).body.state).toBe('Reserved');
    expect((await t.call('GET', `/v1/sessions/${onV1.sessionId}`)).body.state).toBe('Reserved');
    const status = await rollout(second.body.id);
    expect(status.progress.draining.map((d: Json) => d.build)).toEqual(['v0']);
    expect(status.progress.builds.v1.sessions).toBe(1);

    // Aborting the newest release restores the routing of the one before it.
    const aborted = await t.call('POST', `/v1/rollouts/${second.body.id}/abort`);
    expect(aborted.body.phase).toBe('Aborted');
    expect((await allocate('after-abort')).server.build).toBe('v1');

    // Once their players leave, the old builds' servers retire; nothing stopped a server with a session.
    for (const s of [onV0, onV1]) await t.call('DELETE', `/v1/sessions/${s.sessionId}`);
    await waitFor(async () => {
      const fleet = (await t.call('GET', '/v1/fleets/arena')).body;
      return fleet.status.serversByBuild.v0 === undefined;
    }, 'v0 retired');
    const events = (await t.call('GET', '/v1/events?fleet=arena&limit=1000')).body.items as Json[];
    expect(events.filter((e) => e.kind === 'server.crashed' || e.kind === 'session.closed' && e.data.reason !== 'api')).toEqual([]);
  });

  it('refuses a release on top of one that has not routed a session yet, unless asked to replace it', async () => {
    const pending = await start('v2', { autoPromote: false });
    expect(pending.status).toBe(201);
    await waitFor(async () => (await rollout(pending.body.id)).phase === 'AwaitingPromotion', 'v2 awaiting promotion');
    const refused = await start('v0');
    expect([refused.status, refused.body.error.code]).toEqual([409, 'ROLLOUT_IN_PROGRESS']);
    const replaced = await start('v0', { replace: true });
    expect(replaced.status).toBe(201);
    expect((await rollout(pending.body.id)).phase).toBe('Aborted');
    expect((await t.call('POST', `/v1/rollouts/${replaced.body.id}/abort`)).body.phase).toBe('Aborted');
  });

  it('treats a re-applied identical Rollout manifest as unchanged, and a different one as a new release', async () => {
    const doc = { fleet: 'arena', build: 'v2', strategy: 'blue-green', oldIdleSeconds: 0 };
    const first = await t.call('POST', '/v1/apply', { rollouts: [doc] });
    expect(first.status).toBe(200);
    expect(first.body.rollouts[0].result).toBe('created');
    const again = await t.call('POST', '/v1/apply', { rollouts: [doc] });
    expect(again.body.rollouts[0]).toEqual({ ...first.body.rollouts[0], result: 'unchanged' });
    const bad = await t.call('POST', '/v1/apply', { builds: [fixtureBuild('v9')], rollouts: [{ ...doc, build: 'ghost' }] });
    expect([bad.status, bad.body.error.code]).toEqual([404, 'BUILD_NOT_FOUND']);
    expect((await t.call('GET', '/v1/builds/v9')).status).toBe(404);
  });
});
