import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type Json, type TestPlane } from '../support/control-plane.js';

describe('a release with a drain deadline', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 41_800 });
    await t.call('POST', '/v1/apply', { builds: [fixtureBuild('v1'), fixtureBuild('v2')], fleets: [fleetSpec('arena', 'v1', { minServers: 1, maxServers: 3 })] });
    await waitFor(async () => (await t.call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready === 1, 'a Ready v1 server');
  });
  afterAll(() => t.close());

  it('announces the deadline to old servers, then migrates the stragglers so the release completes', async () => {
    const straggler = (await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'afk-fisher' })).body;
    expect(straggler.server.build).toBe('v1');
    const rollout = (await t.call('POST', '/v1/rollouts', {
      fleet: 'arena', build: 'v2', oldIdleSeconds: 0, drain: { deadlineSeconds: 2, noticeLeadSeconds: 1 },
    })).body;

    const noticed = await waitFor(async () => {
      const r = (await t.call('GET', `/v1/rollouts/${rollout.id}`)).body;
      return r.drainNoticeAt !== null ? r : null;
    }, 'the drain notice');
    expect(noticed.drainNoticeAt - noticed.switchedAt).toBeGreaterThanOrEqual(1000);
    const old = (await t.call('GET', `/v1/servers/${straggler.server.id}`)).body;
    expect(old.drainDeadline).toBe(noticed.switchedAt + 2000);
    // Before the deadline the straggler's session is untouched.
    expect((await t.call('GET', `/v1/sessions/${straggler.sessionId}`)).body.state).not.toBe('Closed');

    const done = await waitFor(async () => {
      const r = (await t.call('GET', `/v1/rollouts/${rollout.id}`)).body;
      return r.phase === 'Completed' ? r : null;
    }, 'the release to complete');
    expect(done.migratedAt - done.switchedAt).toBeGreaterThanOrEqual(2000);
    const closed = (await t.call('GET', `/v1/sessions/${straggler.sessionId}`)).body;
    expect(closed).toMatchObject({ state: 'Closed', closeReason: 'migrated', migrationToken: expect.stringMatching(/^mt1\./) });
    // Its next allocation, with the migration token the deadline gave it, lands on the new build.
    const next = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'afk-fisher', migrationToken: closed.migrationToken });
    expect(next.body.server.build).toBe('v2');
    const events = (await t.call('GET', '/v1/events?fleet=arena&limit=1000')).body.items as Json[];
    expect(events.filter((e) => e.kind === 'session.closed' && e.data.reason === 'server_stopped')).toEqual([]);
  }, 30_000);
});
