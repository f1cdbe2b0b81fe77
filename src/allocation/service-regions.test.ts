/**
 * Preferred regions and a lost zone at the service level: the real host registry, world and
 * allocator over an in-memory SQLite store, with a fake clock driving host liveness.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { isHandoffError } from '../core/errors.js';
import { HostService } from '../hosts/service.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleServer, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { AllocationRequest } from './model.js';
import { singleBuildRouting } from './routing.js';
import { AllocationService } from './service.js';

const TIMEOUT_MS = 10_000;
const reg = (id: string, region: string, zone: string) => ({
  id, zone, region, publicAddress: `${id}.example`, portRange: { from: 7400, to: 7499 }, capacity: { slots: 10, cpuMillis: null, memoryMb: null },
});

/** The control plane's host `cp` in eu-west-1a, agents h1 (eu-west-1b) and h2 (us-east-1a); one server each, s1 the fullest. */
async function setup() {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:');
  const world = new World();
  world.putBuild(sampleBuild({ id: 'v1', compatibleClients: '*' }));
  world.fleets.set('arena', sampleFleet({ name: 'arena', currentBuild: 'v1', region: null, routing: singleBuildRouting('v1') }));
  const server = (id: string, identity: string, sessions: number): void => {
    world.putServer(sampleServer({ id, build: 'v1', state: sessions > 0 ? 'Active' : 'Ready', token: `t-${id}`, identity, capacity: 4, stopRequestedAt: null, drainReason: null }));
    for (let i = 0; i < sessions; i++) world.addSession(sampleSession({ id: `ses-${id}-${i}`, server: id, build: 'v1', playerId: `${id}-player${i}`, partyId: null, closedAt: null, closeReason: null }));
  };
  server('s-cp', 'pid-start-time', 1);
  server('s1', '@h1/pid-start-time', 2);
  server('s2', '@h2/pid-start-time', 0);
  const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: () => undefined };
  const hosts = await HostService.create(ctx, { heartbeatTimeoutMs: TIMEOUT_MS, embedded: reg('cp', 'eu-west', 'eu-west-1a') });
  await hosts.register(reg('h1', 'eu-west', 'eu-west-1b'));
  await hosts.register(reg('h2', 'us-east', 'us-east-1a'));
  const service = new AllocationService(ctx, { joinSecret: 'secret', joinTokenTtlMs: 60_000, idempotencyTtlMs: 60_000 });
  let n = 0;
  const allocate = async (over: Partial<AllocationRequest> = {}) => (await service.allocate({
    fleet: 'arena', playerId: `new${n++}`, partyId: null, clientVersion: null, region: null, attributes: {}, idempotencyKey: null, ...over,
  })).response;
  const refusal = async (over: Partial<AllocationRequest>): Promise<string> => {
    try {
      await allocate(over);
      return 'allocated';
    } catch (e) {
      return isHandoffError(e) ? e.code : String(e);
    }
  };
  /** Time passes; only the listed agents beat. */
  const silence = (ms: number, beating: readonly string[]): void => {
    clock.advance(ms);
    for (const id of beating) hosts.heartbeat(id);
    hosts.sweep();
  };
  return { allocate, refusal, silence, hosts };
}

describe('allocation across regions and zones', () => {
  it('places in the first preferred region and reports the server region and zone', async () => {
    const { allocate } = await setup();
    expect((await allocate({ regions: ['eu-west', 'us-east'] })).server).toMatchObject({ id: 's1', region: 'eu-west', zone: 'eu-west-1b' });
    expect((await allocate({ regions: ['ap-south', 'us-east'] })).server).toMatchObject({ id: 's2', region: 'us-east', zone: 'us-east-1a' });
    expect((await allocate({ zones: ['eu-west-1a'], regions: ['eu-west'] })).server).toMatchObject({ id: 's-cp', zone: 'eu-west-1a' });
  });

  it('moves new sessions to the other zones when a zone is lost, and back when it returns', async () => {
    const { allocate, refusal, silence } = await setup();
    silence(TIMEOUT_MS + 1, ['h2']);
    expect(await refusal({ zones: ['eu-west-1b'], regionFallback: 'none' })).toBe('NO_CAPACITY');
    // eu-west-1b (h1) is silent: eu-west still has eu-west-1a.
    expect((await allocate({ regions: ['eu-west'] })).server).toMatchObject({ id: 's-cp', zone: 'eu-west-1a' });
    // Without a preference, the fullest server of the zones left.
    expect((await allocate()).server.id).toBe('s-cp');
    silence(1_000, ['h1', 'h2']);
    expect((await allocate({ zones: ['eu-west-1b'], regionFallback: 'none' })).server.id).toBe('s1');
  });

  it('falls back to another region when every host of the preferred one is lost, unless told not to', async () => {
    const { allocate, refusal, silence, hosts } = await setup();
    await hosts.setSchedule('cp', 'Draining');
    silence(TIMEOUT_MS + 1, ['h2']);
    expect((await allocate({ regions: ['eu-west'] })).server).toMatchObject({ id: 's2', region: 'us-east' });
    expect(await refusal({ regions: ['eu-west'], regionFallback: 'none' })).toBe('NO_CAPACITY');
  });

  it('refuses with REGION_NOT_SERVED when no host is in any listed region and fallback is none', async () => {
    const { refusal } = await setup();
    expect(await refusal({ regions: ['ap-south'], regionFallback: 'none' })).toBe('REGION_NOT_SERVED');
    expect(await refusal({ regions: ['ap-south', 'us-east'], regionFallback: 'none' })).toBe('allocated');
  });

  it('sends a reconnecting player back to their server, whatever its region or its host', async () => {
    const { allocate, silence } = await setup();
    silence(TIMEOUT_MS + 1, ['h2']);
    const back = await allocate({ playerId: 's1-player0', regions: ['us-east'], regionFallback: 'none' });
    expect(back).toMatchObject({ reconnected: true, server: { id: 's1', region: 'eu-west' } });
  });
});
