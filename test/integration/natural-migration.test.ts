import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandoffSdk } from '../../src/sdk/client.js';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type Json, type TestPlane } from '../support/control-plane.js';

/**
 * Natural migration (the MMORPG notes): nothing moves a player; a session ends when the player
 * logs out or changes zone, and the next allocation — the same player id, with the zone as an
 * attribute — follows the release's routing.
 */
describe('natural migration across a release', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 42_400 });
    await t.call('POST', '/v1/apply', { builds: [fixtureBuild('v1'), fixtureBuild('v2')], fleets: [fleetSpec('world', 'v1', { minServers: 1, maxServers: 4, bufferServers: 0 })] });
    await waitFor(async () => (await t.call('GET', '/v1/fleets/world')).body.status.serversByState.Ready === 1, 'a v1 server');
  });
  afterAll(() => t.close());

  /** The game server hosting a session, driven through the real SDK with its own token. */
  const gameServerOf = (serverId: string): HandoffSdk => {
    const s = t.cp.world.servers.get(serverId);
    if (!s) throw new Error(`no server ${serverId}`);
    return new HandoffSdk({ url: t.cp.sdkUrl, token: s.token, serverId });
  };

  it('keeps a playing player on the old build, and sends the same player to the new build when they change zone', async () => {
    const enter = (await t.call('POST', '/v1/allocations', { fleet: 'world', playerId: 'hero', attributes: { zone: 'town' } })).body as Json;
    expect(enter.server.build).toBe('v1');
    const town = gameServerOf(enter.server.id);
    await town.sessionStarted('hero', enter.joinToken);

    const release = (await t.call('POST', '/v1/rollouts', { fleet: 'world', build: 'v2' })).body as Json;
    await waitFor(async () => (await t.call('GET', `/v1/rollouts/${release.id}`)).body.phase === 'Draining', 'the switch');
    // Still in town: asking again is a reconnect to the same session on v1, not a move.
    const again = (await t.call('POST', '/v1/allocations', { fleet: 'world', playerId: 'hero', attributes: { zone: 'town' } })).body as Json;
    expect([again.sessionId, again.reconnected, again.server.build]).toEqual([enter.sessionId, true, 'v1']);

    // The player walks into the forest: the town server ends the session, the matchmaker allocates the new zone.
    await town.sessionEnded('hero', 'ended', { sessionId: enter.sessionId });
    const forest = (await t.call('POST', '/v1/allocations', { fleet: 'world', playerId: 'hero', attributes: { zone: 'forest' } })).body as Json;
    expect([forest.server.build, forest.reconnected]).toEqual(['v2', false]);
    expect((await t.call('GET', `/v1/sessions/${forest.sessionId}`)).body.attributes).toEqual({ zone: 'forest' });
    expect((await t.call('GET', `/v1/sessions/${enter.sessionId}`)).body).toMatchObject({ state: 'Closed', closeReason: 'ended' });
  });
});
