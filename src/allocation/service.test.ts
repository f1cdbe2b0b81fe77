import { describe, expect, it } from 'vitest';
import type { AllocationRequest } from '../api/schemas.js';
import { FakeClock } from '../core/clock.js';
import type { PartyPolicy } from '../fleet/model.js';
import { switchedRouting } from '../rollout/strategies/blue-green/plan.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import { sampleBuild, sampleFleet, sampleRollout, sampleServer, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { CLOSED_OVERRUN_RETRY_AFTER_SECONDS } from './routing.js';
import { AllocationService, NO_CAPACITY_RETRY_AFTER_SECONDS } from './service.js';

/**
 * A fleet after a blue-green switch from v1 to v2: `old` (v1) hosts two members of `party`,
 * `new` (v2) is Ready and empty.
 */
function setup(opts: { partyPolicy?: PartyPolicy; old?: Parameters<typeof sampleServer>[0]; region?: string | null } = {}) {
  const clock = new FakeClock();
  const store = SqliteStore.open(':memory:');
  const world = new World();
  world.putBuild(sampleBuild({ id: 'v1', compatibleClients: '*' }));
  world.putBuild(sampleBuild({ id: 'v2', compatibleClients: '*' }));
  world.fleets.set('arena', sampleFleet({
    name: 'arena', currentBuild: 'v1', region: opts.region ?? null, partyPolicy: opts.partyPolicy ?? 'together',
    routing: switchedRouting(sampleRollout({ fromBuild: 'v1', toBuild: 'v2' })),
  }));
  world.putServer(sampleServer({ id: 'old', build: 'v1', state: 'Active', token: 't-old', ...opts.old }));
  world.putServer(sampleServer({ id: 'new', build: 'v2', state: 'Ready', token: 't-new' }));
  for (const p of ['p1', 'p2']) world.addSession(sampleSession({ id: `ses_${p}`, server: 'old', build: 'v1', playerId: p, partyId: 'party' }));
  const ctx: Ctx = { world, clock, store, persister: new Persister(store), notify: () => undefined };
  const service = new AllocationService(ctx, { joinSecret: 'secret', joinTokenTtlMs: 60_000, idempotencyTtlMs: 60_000 });
  return { service, world, clock };
}

const request = (over: Partial<AllocationRequest> = {}): AllocationRequest => ({
  fleet: 'arena', playerId: 'p3', partyId: 'party', clientVersion: null, region: null, attributes: {}, idempotencyKey: null, ...over,
});

describe('AllocationService', () => {
  it.each([
    ['together', 'the party on the old build', 'old'],
    ['follow-routing', 'the routed new build', 'new'],
  ] as const)('with partyPolicy %s, puts a new party member after a switch on %s', async (partyPolicy, _where, server) => {
    const { service } = setup({ partyPolicy });
    expect((await service.allocate(request())).response.server.id).toBe(server);
  });

  it('offers a Draining server that hosts the party to its new member', async () => {
    const { service } = setup({ old: { state: 'Draining', drainReason: 'release' } });
    expect((await service.allocate(request())).response.server.id).toBe('old');
  });

  it.each([
    ['the game server asked to shut down', { state: 'Draining', drainReason: 'shutdown-requested' }],
    ['its stop was requested', { state: 'Draining', drainReason: 'scale-down', stopRequestedAt: 1 }],
    ['it is Unhealthy', { state: 'Unhealthy' }],
  ] as const)('sends the member elsewhere when the party server is going away because %s', async (_why, old) => {
    const { service } = setup({ old });
    expect((await service.allocate(request())).response.server.id).toBe('new');
  });

  it('never offers a Draining server to a player outside its party', async () => {
    const { service, world } = setup({ old: { state: 'Draining', drainReason: 'release' } });
    world.fleets.set('arena', { ...(world.fleets.get('arena') as ReturnType<typeof sampleFleet>), routing: { entries: [{ build: 'v1', weight: 100 }] } });
    await expect(service.allocate(request({ partyId: null }))).rejects.toMatchObject({ code: 'NO_CAPACITY' });
  });

  it('answers NO_CAPACITY with a Retry-After hint', async () => {
    const { service } = setup();
    // Routing sends everyone outside the party to the new server, which has four slots.
    for (const p of ['a', 'b', 'c', 'd']) await service.allocate(request({ playerId: p, partyId: null }));
    await expect(service.allocate(request({ playerId: 'e', partyId: null }))).rejects.toMatchObject({
      code: 'NO_CAPACITY', retryable: true, retryAfterSeconds: NO_CAPACITY_RETRY_AFTER_SECONDS,
    });
  });

  it('refuses a region the fleet does not serve with REGION_NOT_SERVED, which no retry can fix', async () => {
    const { service } = setup({ region: 'eu-west' });
    await expect(service.allocate(request({ region: 'us-east' }))).rejects.toMatchObject({
      code: 'REGION_NOT_SERVED', status: 422, retryable: false, retryAfterSeconds: undefined,
    });
    expect((await service.allocate(request({ region: 'eu-west' }))).outcome).toBe('created');
  });

  it('passes the request\'s attributes and region to cohort rules', async () => {
    const { service, world } = setup({ region: 'eu-west' });
    const routing = {
      entries: [{ build: 'v1', weight: 0 }, { build: 'v2', weight: 100 }],
      rules: [{ build: 'v1', when: [{ type: 'attribute' as const, key: 'beta', values: ['true'] }, { type: 'region' as const, values: ['eu-west'] }] }],
    };
    world.fleets.set('arena', { ...(world.fleets.get('arena') as ReturnType<typeof sampleFleet>), routing });
    const beta = await service.allocate(request({ playerId: 'b', partyId: null, region: 'eu-west', attributes: { beta: 'true' } }));
    expect(beta.response.server.build).toBe('v1');
    const other = await service.allocate(request({ playerId: 'o', partyId: null, region: 'eu-west', attributes: { beta: 'false' } }));
    expect(other.response.server.build).toBe('v2');
  });

  it.each([
    ['before its expected end, until that end', 95_500, 95_500, false],
    ['once it has overrun, after a short while', -1_000, CLOSED_OVERRUN_RETRY_AFTER_SECONDS * 1000, true],
  ])('refuses a new session in a maintenance window with FLEET_IN_MAINTENANCE, Retry-After %s', async (_when, untilIn, retryMs, overrun) => {
    const { service, world, clock } = setup();
    const until = clock.now() + untilIn;
    const fleet = world.fleets.get('arena') as ReturnType<typeof sampleFleet>;
    world.fleets.set('arena', { ...fleet, routing: { ...fleet.routing, closed: { until, reason: 'maintenance: v1 → v2' } } });
    await expect(service.allocate(request({ playerId: 'p9', partyId: null }))).rejects.toMatchObject({
      code: 'FLEET_IN_MAINTENANCE', status: 503, retryable: true, retryAfterSeconds: Math.ceil(retryMs / 1000),
      details: { fleet: 'arena', until, reason: 'maintenance: v1 → v2', overrun },
    });
    // A party member is refused too; a player whose session is still open gets it back.
    await expect(service.allocate(request({ playerId: 'p3' }))).rejects.toMatchObject({ code: 'FLEET_IN_MAINTENANCE' });
    expect((await service.allocate(request({ playerId: 'p1' }))).outcome).toBe('reconnected');
  });

  it('replays an idempotent request whose attributes come in another order', async () => {
    const { service } = setup();
    const first = await service.allocate(request({ idempotencyKey: 'k', attributes: { mode: 'duo', map: 'dust' } }));
    const again = await service.allocate(request({ idempotencyKey: 'k', attributes: { map: 'dust', mode: 'duo' } }));
    expect(again).toEqual({ response: first.response, outcome: 'replayed' });
    await expect(service.allocate(request({ idempotencyKey: 'k', attributes: { map: 'other', mode: 'duo' } }))).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });
});
