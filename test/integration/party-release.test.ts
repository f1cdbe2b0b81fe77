import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type Json, type TestPlane } from '../support/control-plane.js';

/** A party keeps playing together through a blue-green release, unless the fleet opts out. */
describe('a party during a blue-green release', () => {
  let t: TestPlane;
  const capacity = { minServers: 1, maxServers: 3, bufferServers: 0 };
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 43_300 });
    const applied = await t.call('POST', '/v1/apply', {
      builds: [fixtureBuild('v1'), fixtureBuild('v2')],
      fleets: [fleetSpec('together', 'v1', capacity), { ...fleetSpec('split', 'v1', capacity), partyPolicy: 'follow-routing' }],
    });
    expect(applied.status).toBe(200);
    for (const fleet of ['together', 'split']) {
      await waitFor(async () => (await t.call('GET', `/v1/fleets/${fleet}`)).body.status.serversByState.Ready === 1, `a Ready v1 server in ${fleet}`);
    }
  });
  afterAll(() => t.close());

  const allocate = async (fleet: string, playerId: string, partyId: string | null = null): Promise<Json> => {
    const r = await t.call('POST', '/v1/allocations', { fleet, playerId, partyId });
    expect(r.status).toBe(201);
    return r.body;
  };

  /** Starts a release to v2 and waits for the switch: from then on routing sends new sessions to v2. */
  const releaseAndSwitch = async (fleet: string): Promise<Json> => {
    const started = await t.call('POST', '/v1/rollouts', { fleet, build: 'v2', oldIdleSeconds: 0 });
    expect(started.status).toBe(201);
    return waitFor(async () => {
      const r = (await t.call('GET', `/v1/rollouts/${started.body.id}`)).body;
      return r.phase === 'Draining' ? r : null;
    }, `the switch of ${fleet}`);
  };

  it('puts a new party member on the old build\'s server the party plays on, and the old build still empties afterwards', async () => {
    const first = await allocate('together', 'ana', 'squad');
    const second = await allocate('together', 'bo', 'squad');
    expect([first.server.build, second.server.id]).toEqual(['v1', first.server.id]);
    const rollout = await releaseAndSwitch('together');

    const joiner = await allocate('together', 'cy', 'squad');
    expect(joiner.server).toMatchObject({ id: first.server.id, build: 'v1' });
    // Routing did switch: a player outside the party lands on v2.
    expect((await allocate('together', 'solo')).server.build).toBe('v2');

    for (const s of [first, second, joiner]) expect((await t.call('DELETE', `/v1/sessions/${s.sessionId}`)).status).toBe(200);
    await waitFor(async () => (await t.call('GET', `/v1/rollouts/${rollout.id}`)).body.phase === 'Completed', 'the release to complete');
  }, 40_000);

  it('sends the new member where routing points when the fleet follows routing', async () => {
    const first = await allocate('split', 'ana', 'squad');
    expect(first.server.build).toBe('v1');
    await releaseAndSwitch('split');
    expect((await allocate('split', 'cy', 'squad')).server.build).toBe('v2');
  }, 40_000);
});
