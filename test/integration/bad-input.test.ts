import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableDigest, fixtureBuild, fleetSpec, startTestPlane, waitFor, type TestPlane } from '../support/control-plane.js';

/** A maintenance release of `arena` to v2 starting `inMs` from now, its notice lead left to each case. */
const maintenanceAt = (inMs: number) => ({ fleet: 'arena', build: 'v2', strategy: 'maintenance', startsAt: Date.now() + inMs, durationSeconds: 600 });

describe('bad input gets a coded 4xx and changes nothing', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 41_200 });
    const r = await t.call('POST', '/v1/apply', { builds: [fixtureBuild('v1'), fixtureBuild('v2')], fleets: [fleetSpec('arena', 'v1')] });
    expect(r.status).toBe(200);
    await waitFor(async () => (await t.call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready === 2, 'two Ready servers');
  });
  afterAll(() => t.close());

  const cases: [string, string, string, unknown, number, string][] = [
    ['an unknown fleet', 'POST', '/v1/allocations', { fleet: 'nope', playerId: 'p' }, 404, 'FLEET_NOT_FOUND'],
    ['malformed JSON', 'POST', '/v1/allocations', '{"fleet": "arena",', 400, 'MALFORMED_JSON'],
    ['a wrong type', 'POST', '/v1/allocations', { fleet: 'arena', playerId: 42 }, 400, 'VALIDATION_FAILED'],
    ['a missing field', 'POST', '/v1/rollouts', { fleet: 'arena' }, 400, 'VALIDATION_FAILED'],
    ['a negative capacity', 'POST', '/v1/apply', { fleets: [{ ...fleetSpec('f2', 'v1'), capacity: { minServers: -1, maxServers: 2 } }] }, 400, 'VALIDATION_FAILED'],
    ['min above max', 'POST', '/v1/apply', { fleets: [fleetSpec('f2', 'v1', { minServers: 5, maxServers: 2 })] }, 422, 'FLEET_INVALID_CAPACITY'],
    ['an executable that does not exist', 'POST', '/v1/apply', { builds: [{ ...fixtureBuild('v9'), launch: { executable: '/no/such/server', args: [] } }] }, 422, 'BUILD_EXECUTABLE_NOT_FOUND'],
    ['a working directory that does not exist', 'POST', '/v1/apply', { builds: [{ ...fixtureBuild('v9'), launch: { executable: 'node', workingDir: '/no/such/dir' } }] }, 422, 'BUILD_WORKDIR_NOT_FOUND'],
    ['a bad client range', 'POST', '/v1/apply', { builds: [{ ...fixtureBuild('v9'), compatibleClients: 'not a range' }] }, 422, 'BUILD_INVALID_CLIENT_RANGE'],
    ['a good build next to a fleet naming an unknown build', 'POST', '/v1/apply', { builds: [fixtureBuild('v8')], fleets: [fleetSpec('f3', 'ghost')] }, 404, 'BUILD_NOT_FOUND'],
    ['a changed spec for an existing build', 'POST', '/v1/apply', { builds: [fixtureBuild('v1', [], 99)] }, 409, 'BUILD_IMMUTABLE'],
    ['a build change by apply', 'POST', '/v1/apply', { builds: [fixtureBuild('v8')], fleets: [fleetSpec('arena', 'v8')] }, 409, 'FLEET_BUILD_CHANGE_NEEDS_ROLLOUT'],
    ['a rollout of the running build', 'POST', '/v1/rollouts', { fleet: 'arena', build: 'v1' }, 422, 'ROLLOUT_SAME_BUILD'],
    ['a rollout of an unknown build', 'POST', '/v1/rollouts', { fleet: 'arena', build: 'ghost' }, 404, 'BUILD_NOT_FOUND'],
    ['a rollout of an unknown fleet', 'POST', '/v1/rollouts', { fleet: 'ghost', build: 'v1' }, 404, 'FLEET_NOT_FOUND'],
    ['an unknown session', 'DELETE', '/v1/sessions/ses_nope', undefined, 404, 'SESSION_NOT_FOUND'],
    ['an unknown rollout', 'POST', '/v1/rollouts/ro_nope/abort', undefined, 404, 'ROLLOUT_NOT_FOUND'],
    ['an unknown route', 'GET', '/v1/nothing-here', undefined, 404, 'ROUTE_NOT_FOUND'],
    ['a wrong method', 'DELETE', '/v1/fleets', undefined, 405, 'METHOD_NOT_ALLOWED'],
    ['a client no build accepts', 'POST', '/v1/allocations', { fleet: 'arena', playerId: 'old', clientVersion: '0.9.0' }, 426, 'CLIENT_UPDATE_REQUIRED'],
    ['a client version that is not semver', 'POST', '/v1/allocations', { fleet: 'arena', playerId: 'p', clientVersion: 'garbage' }, 400, 'VALIDATION_FAILED'],
    ['a misspelt allocation field', 'POST', '/v1/allocations', { fleet: 'arena', playerId: 'p', partyID: 'x' }, 400, 'UNKNOWN_FIELD'],
    ['a misspelt rollout field', 'POST', '/v1/rollouts', { fleet: 'arena', build: 'v1', autopromote: false }, 400, 'UNKNOWN_FIELD'],
    ['a rolling release that could never replace a server', 'POST', '/v1/rollouts', { fleet: 'arena', build: 'v1', strategy: 'rolling', maxSurge: 0, maxUnavailable: '0%' }, 422, 'ROLLOUT_NO_PROGRESS'],
    ['a rolling budget that is no count or percentage', 'POST', '/v1/rollouts', { fleet: 'arena', build: 'v1', strategy: 'rolling', maxSurge: '25' }, 400, 'VALIDATION_FAILED'],
    ['a blue-green option in a rolling release', 'POST', '/v1/rollouts', { fleet: 'arena', build: 'v1', strategy: 'rolling', autoPromote: false }, 400, 'UNKNOWN_FIELD'],
    ['a misspelt query parameter', 'GET', '/v1/sessions?limt=5', undefined, 400, 'UNKNOWN_FIELD'],
    ['a maintenance window in the past', 'POST', '/v1/rollouts', { ...maintenanceAt(-60_000), noticeLeadSeconds: 0 }, 422, 'ROLLOUT_INVALID_SPEC'],
    ['a maintenance notice lead longer than the time left', 'POST', '/v1/rollouts', { ...maintenanceAt(60_000), noticeLeadSeconds: 600 }, 422, 'ROLLOUT_INVALID_SPEC'],
    ['a maintenance window without a notice lead', 'POST', '/v1/rollouts', { ...maintenanceAt(60_000) }, 400, 'VALIDATION_FAILED'],
    ['a maintenance start that is no time', 'POST', '/v1/rollouts', { ...maintenanceAt(60_000), startsAt: 'tomorrow', noticeLeadSeconds: 0 }, 400, 'VALIDATION_FAILED'],
    ['an environment slot bound to a missing build, next to a valid build', 'POST', '/v1/apply', { builds: [fixtureBuild('v8')], environments: [{ name: 'prod', fleets: ['arena'], slots: { green: { build: 'ghost' } } }] }, 404, 'SLOT_BUILD_NOT_FOUND'],
    ['an environment put with a slot bound to a missing build', 'PUT', '/v1/environments/prod', { fleets: ['arena'], slots: { green: { build: 'ghost', warmServers: 1 } } }, 404, 'SLOT_BUILD_NOT_FOUND'],
    ['an environment over a fleet that does not exist', 'POST', '/v1/apply', { environments: [{ name: 'prod', fleets: ['ghost'] }] }, 404, 'FLEET_NOT_FOUND'],
    ['an environment whose live slot names a build the fleets do not run', 'POST', '/v1/apply', { environments: [{ name: 'prod', fleets: ['arena'], slots: { blue: { build: 'v2' } } }] }, 409, 'ENV_LIVE_BUILD_MISMATCH'],
    ['a stage in an unknown environment', 'POST', '/v1/environments/ghost/stage', { build: 'v2' }, 404, 'ENV_NOT_FOUND'],
    ['a restore in an unknown environment', 'POST', '/v1/environments/ghost/restore', { snapshot: 1 }, 404, 'ENV_NOT_FOUND'],
    ['a webhook with a short secret', 'PUT', '/v1/webhooks/ops', { url: 'http://127.0.0.1:9/h', secret: 'short' }, 400, 'VALIDATION_FAILED'],
    ['a webhook for an unknown event', 'POST', '/v1/apply', { webhooks: [{ name: 'ops', url: 'http://127.0.0.1:9/h', secret: 'sixteen-characters!', events: ['finished'] }] }, 400, 'VALIDATION_FAILED'],
    ['a webhook that is no URL', 'PUT', '/v1/webhooks/ops', { url: 'ftp://example/x', secret: 'sixteen-characters!' }, 400, 'VALIDATION_FAILED'],
    ['a blue-green option on a maintenance window', 'POST', '/v1/rollouts', { ...maintenanceAt(60_000), noticeLeadSeconds: 0, autoPromote: false }, 400, 'UNKNOWN_FIELD'],
    ['a background analysis on an unknown metric', 'POST', '/v1/rollouts', { fleet: 'arena', build: 'v2', backgroundAnalysis: { metrics: [{ metric: 'crash_rat', max: 0.05 }] } }, 422, 'ANALYSIS_UNKNOWN_METRIC'],
    ['a background analysis on an unknown metric in a kind: Rollout, next to a valid build', 'POST', '/v1/apply', { builds: [fixtureBuild('v8')], rollouts: [{ fleet: 'arena', build: 'v2', strategy: 'rolling', backgroundAnalysis: { metrics: [{ metric: 'tick_ms', max: 30 }] } }] }, 422, 'ANALYSIS_UNKNOWN_METRIC'],
    ['a background analysis with nothing to judge', 'POST', '/v1/rollouts', { fleet: 'arena', build: 'v2', backgroundAnalysis: { intervalSeconds: 30 } }, 400, 'VALIDATION_FAILED'],
    ['a notification webhook at the cloud metadata address', 'PUT', '/v1/webhooks/ops', { url: 'http://169.254.169.254/latest/meta-data', secret: 'sixteen-characters!' }, 422, 'WEBHOOK_URL_FORBIDDEN'],
    ['a notification webhook at a link-local IPv6 address in an apply, next to a valid build', 'POST', '/v1/apply', { builds: [fixtureBuild('v8')], webhooks: [{ name: 'ops', url: 'http://[fe80::1]:8080/h', secret: 'sixteen-characters!' }] }, 422, 'WEBHOOK_URL_FORBIDDEN'],
    ['a canary webhook step at the metadata address in decimal', 'POST', '/v1/rollouts', { fleet: 'arena', build: 'v2', strategy: 'canary', steps: [{ setWeight: 10 }, { analysis: { webhook: { url: 'http://2852039166/x' } } }, { setWeight: 100 }] }, 422, 'WEBHOOK_URL_FORBIDDEN'],
    ['a background analysis webhook at the metadata address', 'POST', '/v1/rollouts', { fleet: 'arena', build: 'v2', backgroundAnalysis: { webhook: { url: 'http://169.254.169.254/' } } }, 422, 'WEBHOOK_URL_FORBIDDEN'],
    ['a release plan webhook gate at the metadata address', 'POST', '/v1/releases', { name: 'p', webhooks: [{ name: 'ci', url: 'http://169.254.169.254/' }], steps: [{ name: 'a', fleet: 'arena', build: 'v2', gate: { webhook: { name: 'ci' } } }] }, 422, 'WEBHOOK_URL_FORBIDDEN'],
    ['a misspelt background analysis field', 'POST', '/v1/rollouts', { fleet: 'arena', build: 'v2', backgroundAnalysis: { interval: 30, metrics: [{ metric: 'crash_rate', max: 0.05 }] } }, 400, 'UNKNOWN_FIELD'],
  ];

  it.each(cases)('refuses %s', async (_name, method, route, body, status, code) => {
    const before = await durableDigest(t.cp);
    const r = await t.call(method, route, body);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(typeof r.body.error.message).toBe('string');
    expect(await durableDigest(t.cp)).toBe(before);
  });

  const typoFleet = { ...fleetSpec('typo', 'v1'), capacity: { minServers: 1, maxServers: 2, idleTimeoutSecond: 5 } };
  const { id: _id, ports: _ports, ...typoBuild } = { ...fixtureBuild('v7'), portz: [{ name: 'game' }] };
  it.each([
    ['a fleet in an apply, next to a valid build', 'POST', '/v1/apply', { builds: [fixtureBuild('v6')], fleets: [typoFleet] }, 'body.fleets.0.capacity.idleTimeoutSecond', 'idleTimeoutSeconds'],
    ['a fleet put on its own', 'PUT', '/v1/fleets/typo', { ...typoFleet, name: undefined }, 'body.capacity.idleTimeoutSecond', 'idleTimeoutSeconds'],
    ['a build', 'PUT', '/v1/builds/v7', typoBuild, 'body.portz', 'ports'],
    ['an apply with a misspelt list', 'POST', '/v1/apply', { bulds: [fixtureBuild('v6')] }, 'body.bulds', 'builds'],
  ])('refuses an unknown field in %s, naming it and the closest valid field, and applies nothing', async (_what, method, route, body, path, suggestion) => {
    const before = await durableDigest(t.cp);
    const r = await t.call(method, route, body);
    expect([r.status, r.body.error.code]).toEqual([400, 'UNKNOWN_FIELD']);
    expect(r.body.error.details.fields).toEqual([{ path, field: path.split('.').at(-1), suggestion }]);
    expect(r.body.error.message).toContain(`did you mean "${suggestion}"?`);
    expect(await durableDigest(t.cp)).toBe(before);
  });

  it('refuses to stage a missing build in an environment, and refuses a second environment over its fleet, changing nothing', async () => {
    expect((await t.call('PUT', '/v1/environments/live', { fleets: ['arena'] })).body).toEqual({ name: 'live', result: 'created' });
    const before = await durableDigest(t.cp);
    const stage = await t.call('POST', '/v1/environments/live/stage', { build: 'ghost', warmServers: 2 });
    expect([stage.status, stage.body.error.code]).toEqual([404, 'SLOT_BUILD_NOT_FOUND']);
    const taken = await t.call('POST', '/v1/apply', { builds: [fixtureBuild('v8')], environments: [{ name: 'other', fleets: ['arena'] }] });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'ENV_FLEET_TAKEN']);
    const live = await t.call('POST', '/v1/environments/live/stage', { build: 'v1' });
    expect([live.status, live.body.error.code]).toEqual([422, 'ENV_STAGE_LIVE_BUILD']);
    expect(await durableDigest(t.cp)).toBe(before);
  });

  it('replays an idempotent allocation whose attributes come in another order', async () => {
    const headers = { 'idempotency-key': 'k-order' };
    const first = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'idem-order', attributes: { mode: 'duo', map: 'dust' } }, headers);
    const again = await t.call('POST', '/v1/allocations', { attributes: { map: 'dust', mode: 'duo' }, playerId: 'idem-order', fleet: 'arena' }, headers);
    expect(first.status).toBe(201);
    expect([again.status, again.body]).toEqual([200, first.body]);
  });

  it('answers a retried allocation with the same session, and refuses the key for another request', async () => {
    const req = { fleet: 'arena', playerId: 'idem-1' };
    const first = await t.call('POST', '/v1/allocations', req, { 'idempotency-key': 'k-1' });
    const again = await t.call('POST', '/v1/allocations', req, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const other = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'idem-2' }, { 'idempotency-key': 'k-1' });
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('gives a reconnecting player the same session and closes a session only once', async () => {
    const a = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'rc' });
    const b = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'rc' });
    expect(b.body).toMatchObject({ sessionId: a.body.sessionId, reconnected: true });
    expect((await t.call('DELETE', `/v1/sessions/${a.body.sessionId}`)).body.closeReason).toBe('api');
    const twice = await t.call('DELETE', `/v1/sessions/${a.body.sessionId}`);
    expect([twice.status, twice.body.error.code]).toEqual([409, 'SESSION_CLOSED']);
  });

  it('puts party members on the same server', async () => {
    const a = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'pa', partyId: 'party-1' });
    const b = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'pb', partyId: 'party-1' });
    expect(b.body.server.id).toBe(a.body.server.id);
  });

  it('publishes an OpenAPI document with every route and the role it requires', async () => {
    const doc = (await t.call('GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/allocations', '/v1/rollouts/{id}/abort', '/v1/apply']));
    for (const ops of Object.values(doc.paths) as Record<string, { 'x-handoff-role': string }>[]) {
      for (const op of Object.values(ops)) expect(['viewer', 'allocator', 'operator', 'admin']).toContain(op['x-handoff-role']);
    }
  });

  it('sends a maintenance notice to every running server of a fleet, and refuses one without a message', async () => {
    const ok = await t.call('POST', '/v1/fleets/arena/notices', { message: 'Maintenance at 04:00 UTC' });
    expect(ok.status).toBe(202);
    expect(ok.body.servers).toBeGreaterThanOrEqual(2);
    const bad = await t.call('POST', '/v1/fleets/arena/notices', {});
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('exposes Prometheus metrics for allocations, servers and sessions', async () => {
    const res = await fetch(`${t.cp.url}/metrics`);
    const text = await res.text();
    expect(text).toContain('handoff_allocations_total{fleet="arena"');
    expect(text).toMatch(/handoff_servers\{fleet="arena",build="v1",state="(Ready|Active)"\} \d/);
    expect(text).toContain('handoff_sessions_open');
  });
});

describe('a build whose server crashes at start', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 41_300 });
    await t.call('POST', '/v1/apply', { builds: [fixtureBuild('good'), fixtureBuild('bad', ['--crash'])], fleets: [fleetSpec('arena', 'good')] });
    await waitFor(async () => (await t.call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready === 2, 'two Ready servers');
  });
  afterAll(() => t.close());

  it('never gets the switch: the release fails, says why, and new sessions stay on the old build', async () => {
    const start = await t.call('POST', '/v1/rollouts', { fleet: 'arena', build: 'bad', maxStartFailures: 3 });
    expect(start.status).toBe(201);
    const failed = await waitFor(async () => {
      const r = (await t.call('GET', `/v1/rollouts/${start.body.id}`)).body;
      return r.phase === 'Failed' ? r : null;
    }, 'the rollout to fail');
    // Servers started together may crash together, so the count can pass the limit in one pass.
    expect(failed.startFailures).toBeGreaterThanOrEqual(3);
    expect(failed.message).toMatch(/build bad failed to start \d+ times; last failure: exit code 1 before Ready \(log: .*\.log\)/);
    expect(failed.switchedAt).toBeNull();
    const fleet = (await t.call('GET', '/v1/fleets/arena')).body;
    expect(fleet.currentBuild).toBe('good');
    expect(fleet.routing.entries.find((e: { build: string }) => e.build === 'good').weight).toBe(100);
    const alloc = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'after-fail' });
    expect(alloc.body.server.build).toBe('good');
  });
});
