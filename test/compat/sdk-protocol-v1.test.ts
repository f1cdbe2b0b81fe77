import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type TestPlane } from '../support/control-plane.js';
import { HandoffSdk as ReleasedSdk } from './sdk-0.1.0/client.js';
import type { Notice } from './sdk-0.1.0/protocol.js';

/**
 * The SDK client of the previous release (wire protocol 1, no version header) against the
 * current control plane: every call it makes must still work, with the same answers.
 */
describe('a game server on the 0.1.0 SDK against the current control plane', () => {
  let t: TestPlane;
  let sdk: ReleasedSdk;
  let serverId = '';
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 42_100 });
    await t.call('POST', '/v1/apply', { builds: [fixtureBuild('v1')], fleets: [fleetSpec('arena', 'v1', { minServers: 1, maxServers: 1 })] });
    const server = await waitFor(() => [...t.cp.world.servers.values()].find((s) => s.state === 'Ready'), 'a Ready server');
    serverId = server.id;
    // The test plays this server's game process: same token, the released client.
    sdk = new ReleasedSdk({ url: t.cp.sdkUrl, token: server.token, serverId });
  });
  afterAll(() => t.close());

  it('reports ready and health, and reads itself', async () => {
    await sdk.ready();
    await sdk.health();
    expect(await sdk.self()).toMatchObject({ serverId, fleet: 'arena', build: 'v1', state: 'Ready' });
  });

  it('confirms and ends a session allocated by the API, with the join token', async () => {
    const alloc = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'old-sdk-player' });
    expect(alloc.status).toBe(201);
    const view = await sdk.sessionStarted('old-sdk-player', alloc.body.joinToken);
    expect(view).toMatchObject({ sessionId: alloc.body.sessionId, playerId: 'old-sdk-player' });
    expect((await t.call('GET', `/v1/sessions/${alloc.body.sessionId}`)).body.state).toBe('Connected');
    await sdk.sessionEnded('old-sdk-player', 'ended', { sessionId: view.sessionId });
    expect((await t.call('GET', `/v1/sessions/${alloc.body.sessionId}`)).body).toMatchObject({ state: 'Closed', closeReason: 'ended' });
  });

  it('gets the same coded errors', async () => {
    await expect(sdk.sessionStarted('nobody', 'some-token')).rejects.toMatchObject({ code: 'SESSION_NOT_ALLOCATED', status: 409 });
    // Join tokens are required by default since 0.2; the released client reads the new code as any SdkError.
    await expect(sdk.sessionStarted('nobody')).rejects.toMatchObject({ code: 'JOIN_TOKEN_REQUIRED', status: 401 });
    await expect(sdk.setCapacity(-1)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
  });

  it('changes its capacity and receives notices on its watch stream', async () => {
    await sdk.setCapacity(3);
    expect((await t.call('GET', `/v1/servers/${serverId}`)).body.capacity).toBe(3);
    const notices: Notice[] = [];
    const watch = sdk.watch((n) => notices.push(n));
    try {
      await waitFor(async () => {
        await t.call('POST', '/v1/fleets/arena/notices', { message: 'maintenance at 10:00' });
        return notices.some((n) => n.type === 'maintenance');
      }, 'a maintenance notice on the released client', 10_000);
    } finally {
      watch.close();
    }
  });

  it('is told of an announced migration (protocol 3) as the drain notice it knows, with the same deadline', async () => {
    const server = t.cp.world.servers.get(serverId);
    if (!server) throw new Error('server gone');
    const deadline = Date.now() + 60_000;
    // A release announced a migration to this server: a standing notice, replayed on subscribe.
    t.cp.world.putServer({ ...server, drainDeadline: deadline, migrateTo: 'v2' });
    const notices: Notice[] = [];
    const watch = sdk.watch((n) => notices.push(n));
    try {
      const drain = await waitFor(() => notices.find((n) => n.type === 'drain'), 'the migration as a drain notice', 10_000);
      expect(drain).toMatchObject({ type: 'drain', reason: 'release', deadline });
      expect(notices.map((n) => n.type)).not.toContain('migrate');
    } finally {
      watch.close();
      t.cp.world.putServer({ ...server, drainDeadline: null, migrateTo: null });
    }
  });
});
