/**
 * The control plane verifies the join token a game server passes to `sessionStarted`, so a
 * game server need not trust its players; a fleet opts out explicitly with `joinTokens: optional`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandoffSdk, SdkError } from '../../src/sdk/index.js';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type TestPlane } from '../support/control-plane.js';

describe('join tokens through the SDK endpoint', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 41_500 });
    const r = await t.call('POST', '/v1/apply', { builds: [fixtureBuild('v1')], fleets: [fleetSpec('arena', 'v1', { minServers: 1, maxServers: 1 })] });
    expect(r.status).toBe(200);
    await waitFor(async () => (await t.call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready === 1, 'a Ready server');
  });
  afterAll(() => t.close());

  /** Speaks for the game server the player was allocated to, with that server's own SDK token. */
  const sdkOf = (serverId: string) => {
    const server = t.cp.world.servers.get(serverId);
    if (!server) throw new Error(`no server ${serverId}`);
    return new HandoffSdk({ url: t.cp.sdkUrl, token: server.token, serverId, log: () => undefined });
  };
  const codeOf = (p: Promise<unknown>) => p.then(() => 'accepted', (e: unknown) => (e instanceof SdkError ? e.code : String(e)));

  it('requires the token by default, admits the player with the token the allocation issued, and answers a retry the same', async () => {
    expect((await t.call('GET', '/v1/fleets/arena')).body.joinTokens).toBe('required');
    const a = (await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'p1' })).body;
    const sdk = sdkOf(a.server.id);
    expect(await codeOf(sdk.sessionStarted('p1'))).toBe('JOIN_TOKEN_REQUIRED');
    expect(await codeOf(sdk.sessionStarted('p1', `${a.joinToken}x`))).toBe('JOIN_TOKEN_INVALID');
    expect((await t.call('GET', `/v1/sessions/${a.sessionId}`)).body.state).toBe('Reserved');
    const view = await sdk.sessionStarted('p1', a.joinToken);
    expect(view.sessionId).toBe(a.sessionId);
    expect(await sdk.sessionStarted('p1', a.joinToken)).toEqual(view);
    expect((await t.call('GET', `/v1/sessions/${a.sessionId}`)).body.state).toBe('Connected');
    await sdk.sessionEnded('p1', 'ended', { sessionId: a.sessionId });
    expect(await codeOf(sdk.sessionStarted('p1', a.joinToken))).toBe('SESSION_NOT_ALLOCATED');
  });

  it('lets a fleet opt out explicitly: a session then starts without a token', async () => {
    const r = await t.call('POST', '/v1/apply', { fleets: [{ ...fleetSpec('arena', 'v1', { minServers: 1, maxServers: 1 }), joinTokens: 'optional' }] });
    expect(r.body.fleets).toEqual([{ name: 'arena', result: 'updated' }]);
    expect((await t.call('GET', '/v1/fleets/arena')).body.joinTokens).toBe('optional');
    const a = (await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'p2' })).body;
    expect((await sdkOf(a.server.id).sessionStarted('p2')).sessionId).toBe(a.sessionId);
    const bad = await t.call('POST', '/v1/apply', { fleets: [{ ...fleetSpec('arena', 'v1'), joinTokens: 'sometimes' }] });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
