/**
 * Canary and A/B releases against a real control plane (real SQLite, HTTP, game-server
 * processes): bad requests are refused with a code and change nothing; a canary with a cohort
 * steps through a webhook check and a pause until promote; an A/B test reports per-variant
 * figures and ends only when a variant is chosen.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableDigest, fixtureBuild, fleetSpec, startTestPlane, waitFor, type Json, type TestPlane } from '../support/control-plane.js';

describe('canary and A/B releases', () => {
  let t: TestPlane;
  let hook: Server;
  let hookUrl = '';
  const hookCalls: Json[] = [];
  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hookCalls.push(JSON.parse(body));
        res.statusCode = req.url === '/fail' ? 500 : 200;
        res.end(req.url === '/fail' ? 'error rate too high' : 'ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}`;
    t = await startTestPlane({ portBase: 43_700 });
    const applied = await t.call('POST', '/v1/apply', {
      builds: [fixtureBuild('v1', [], 16), fixtureBuild('v2', [], 16), fixtureBuild('v3', [], 16), fixtureBuild('v4', [], 16), fixtureBuild('vcrash', ['--crash'])],
      fleets: [fleetSpec('arena', 'v1', { minServers: 1, maxServers: 4 })],
    });
    expect(applied.status).toBe(200);
    await waitFor(async () => (await t.call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready >= 1, 'a Ready v1 server');
  });
  afterAll(async () => {
    await t.close();
    hook.closeAllConnections();
    await new Promise<void>((resolve) => hook.close(() => resolve()));
  });

  const canary = (over: Json = {}): Json => ({ fleet: 'arena', build: 'v2', strategy: 'canary', steps: [{ setWeight: 10 }, { setWeight: 100 }], ...over });
  const ab = (variants: Json[], over: Json = {}): Json => ({ fleet: 'arena', build: 'v2', strategy: 'ab-test', variants, ...over });

  it.each<[string, Json, number, string]>([
    ['a canary weight over 100', canary({ steps: [{ setWeight: 150 }, { setWeight: 100 }] }), 400, 'VALIDATION_FAILED'],
    ['a negative canary weight', canary({ steps: [{ setWeight: -5 }, { setWeight: 100 }] }), 400, 'VALIDATION_FAILED'],
    ['canary steps that never reach 100', canary({ steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }] }), 422, 'ROLLOUT_STEPS_INVALID'],
    ['a canary weight that goes down', canary({ steps: [{ setWeight: 50 }, { setWeight: 10 }, { setWeight: 100 }] }), 422, 'ROLLOUT_STEPS_INVALID'],
    ['a cohort on a boolean attribute', canary({ cohort: { attributes: { beta: true } } }), 400, 'VALIDATION_FAILED'],
    ['a cohort on an object attribute', canary({ cohort: { attributes: { level: { gt: 10 } } } }), 400, 'VALIDATION_FAILED'],
    ['a cohort with no criteria', canary({ cohort: {} }), 422, 'ROUTING_INVALID'],
    ['a webhook that is not http', canary({ steps: [{ setWeight: 10 }, { analysis: { webhook: { url: 'ftp://x/y' } } }, { setWeight: 100 }] }), 400, 'VALIDATION_FAILED'],
    ['A/B weights summing to 120', ab([{ build: 'v1', weight: 60 }, { build: 'v2', weight: 60 }]), 422, 'ROLLOUT_VARIANTS_INVALID'],
    ['an A/B weight over 100', ab([{ build: 'v1', weight: 101 }, { build: 'v2', weight: 0 }]), 400, 'VALIDATION_FAILED'],
    ['an A/B test of a build that does not exist', ab([{ build: 'v2', weight: 50 }, { build: 'ghost', weight: 50 }]), 404, 'BUILD_NOT_FOUND'],
    ['an A/B test without the release build', ab([{ build: 'v1', weight: 50 }, { build: 'v3', weight: 50 }]), 422, 'ROLLOUT_VARIANTS_INVALID'],
    ['an unknown strategy', { fleet: 'arena', build: 'v2', strategy: 'big-bang' }, 400, 'VALIDATION_FAILED'],
    ['an in-place canary replacing every server the old build runs', canary({ servers: 'in-place', inPlaceServers: '100%' }), 422, 'ROLLOUT_INVALID_SPEC'],
    ['an in-place canary replacing no server', canary({ servers: 'in-place', inPlaceServers: 0 }), 422, 'ROLLOUT_INVALID_SPEC'],
    ['an in-place server count that is no count or percentage', canary({ servers: 'in-place', inPlaceServers: 'two' }), 400, 'VALIDATION_FAILED'],
    ['canary servers that are neither new nor in place', canary({ servers: 'sideways' }), 400, 'VALIDATION_FAILED'],
  ])('refuses %s with a coded 4xx and changes nothing', async (_what, body, status, code) => {
    const before = await durableDigest(t.cp);
    const r = await t.call('POST', '/v1/rollouts', body);
    expect([r.status, r.body.error.code]).toEqual([status, code]);
    expect(await durableDigest(t.cp)).toBe(before);
  });

  const rolloutOf = async (id: string): Promise<Json> => (await t.call('GET', `/v1/rollouts/${id}`)).body;
  const phase = (id: string, want: string): Promise<Json> =>
    waitFor(async () => {
      const r = await rolloutOf(id);
      if (['Failed', 'Aborted'].includes(r.phase) && r.phase !== want) throw new Error(`rollout ended ${r.phase}: ${r.message}`);
      return r.phase === want ? r : null;
    }, `rollout ${id} ${want}`);
  /** Allocates, retrying while the fleet scales up (NO_CAPACITY is retryable). */
  const allocate = async (playerId: string, extra: Json = {}): Promise<Json> => {
    const r = await waitFor(async () => {
      const res = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId, ...extra });
      return res.status === 503 ? null : res;
    }, `a slot for ${playerId}`);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };
  const closeAll = async (): Promise<void> => {
    for (const s of (await t.call('GET', '/v1/sessions?fleet=arena&open=true&limit=1000')).body.items as Json[]) await t.call('DELETE', `/v1/sessions/${s.id}`);
  };

  it('steps a canary with a cohort through a webhook check and a pause until promote, then completes', async () => {
    const started = await t.call('POST', '/v1/rollouts', canary({
      steps: [{ setWeight: 0 }, { analysis: { webhook: { url: `${hookUrl}/ok`, timeoutSeconds: 5 } } }, { pause: {} }, { setWeight: 100 }],
      cohort: { players: ['tester'], attributes: { beta: 'true' } },
      oldIdleSeconds: 0,
    }));
    expect(started.status).toBe(201);
    const { id } = started.body;
    const paused = await phase(id, 'Paused');
    expect(hookCalls.at(-1)).toMatchObject({ rollout: id, fleet: 'arena', strategy: 'canary', fromBuild: 'v1', toBuild: 'v2', step: 2, steps: 4, weight: 0 });
    expect(paused.smoke).toMatchObject({ state: 'passed', detail: `POST ${hookUrl}/ok → 200: ok` });
    // At 0 %: the allow-listed player and the beta segment play the canary; everyone else the old build.
    expect((await allocate('tester')).server.build).toBe('v2');
    expect((await allocate('someone', { attributes: { beta: 'true' } })).server.build).toBe('v2');
    for (let i = 0; i < 8; i++) expect((await allocate(`player-${i}`)).server.build).toBe('v1');
    // The figures count sessions from the first routed moment on.
    const status = await rolloutOf(id);
    expect(status.progressState.figures.variants.map((v: Json) => [v.name, v.build, v.sessions])).toEqual([['stable', 'v1', 8], ['canary', 'v2', 2]]);

    const promoted = await t.call('POST', `/v1/rollouts/${id}/promote`);
    expect(promoted.status).toBe(200);
    await phase(id, 'Draining');
    expect((await allocate('late-player')).server.build).toBe('v2');
    await closeAll();
    const done = await phase(id, 'Completed');
    expect(done.progressState.weights.map((w: Json) => w.weight)).toEqual([100]);
    expect((await t.call('GET', '/v1/fleets/arena')).body.currentBuild).toBe('v2');
  }, 40_000);

  it('runs an A/B test side by side until a variant is chosen, reporting each variant\'s figures', async () => {
    const started = await t.call('POST', '/v1/rollouts', {
      fleet: 'arena', build: 'v3', strategy: 'ab-test', oldIdleSeconds: 0,
      variants: [
        { name: 'A', build: 'v2', weight: 50 }, { name: 'B', build: 'v3', weight: 50, cohort: { players: ['vip'] } },
        { name: 'C', build: 'v4', weight: 0, cohort: { players: ['c-tester'] } },
      ],
    });
    expect(started.status).toBe(201);
    const { id } = started.body;
    await phase(id, 'Progressing');
    expect((await allocate('vip')).server.build).toBe('v3');
    expect((await allocate('c-tester')).server.build).toBe('v4');
    const players = await Promise.all(Array.from({ length: 12 }, (_, i) => allocate(`ab-${i}`)));
    const builds = new Set(players.map((p) => p.server.build));
    expect(builds).toEqual(new Set(['v2', 'v3']));
    for (const p of players.slice(0, 4)) await t.call('DELETE', `/v1/sessions/${p.sessionId}`);

    // Read at once: sessions closed since the last read are counted, not missing until the page expires.
    const report = await rolloutOf(id);
    const sum = (key: string): number => report.progressState.figures.variants.reduce((n: number, v: Json) => n + v[key], 0);
    expect([sum('sessions'), sum('open')]).toEqual([14, 10]);
    expect(report.progressState.figures.variants.map((v: Json) => v.name)).toEqual(['A', 'B', 'C']);
    expect(Object.keys(report.progress.builds).sort()).toEqual(['v2', 'v3', 'v4']);
    expect(report.progressState.figures.variants.every((v: Json) => v.abnormalCloses === 0)).toBe(true);

    // It never ends on its own; a promote must name a variant it has, and changes nothing otherwise.
    const before = await durableDigest(t.cp);
    for (const body of [undefined, { variant: 'Z' }]) {
      const refused = await t.call('POST', `/v1/rollouts/${id}/promote`, body);
      expect([refused.status, refused.body.error.code]).toEqual([422, 'ROLLOUT_VARIANTS_INVALID']);
    }
    expect(await durableDigest(t.cp)).toBe(before);
    expect((await rolloutOf(id)).phase).toBe('Progressing');

    expect((await t.call('POST', `/v1/rollouts/${id}/promote`, { variant: 'B' })).status).toBe(200);
    const draining = await phase(id, 'Draining');
    expect(draining.progressState).toMatchObject({ winner: 'v3', winnerName: 'B' });
    for (let i = 0; i < 6; i++) expect((await allocate(`after-${i}`)).server.build).toBe('v3');
    await closeAll();
    await phase(id, 'Completed');
    const fleet = (await t.call('GET', '/v1/fleets/arena')).body;
    expect(fleet.currentBuild).toBe('v3');
    await waitFor(async () => {
      const servers = (await t.call('GET', '/v1/servers?fleet=arena&limit=100')).body.items as Json[];
      return servers.every((s) => s.build === 'v3') ? servers : null;
    }, 'only v3 servers left');
  }, 40_000);

  it('blocks the next release only until a canary routes a session, and abort sends everyone, cohort included, back to the old build', async () => {
    // Fleet on v3 now. A canary at 0 % without a cohort has routed nothing: a new release is refused.
    const quiet = (await t.call('POST', '/v1/rollouts', { fleet: 'arena', build: 'v1', strategy: 'canary', oldIdleSeconds: 0, steps: [{ setWeight: 0 }, { pause: {} }, { setWeight: 100 }] })).body;
    await phase(quiet.id, 'Paused');
    const before = await durableDigest(t.cp);
    const refused = await t.call('POST', '/v1/rollouts', { fleet: 'arena', build: 'v4' });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'ROLLOUT_IN_PROGRESS']);
    expect(await durableDigest(t.cp)).toBe(before);
    expect((await t.call('POST', `/v1/rollouts/${quiet.id}/abort`)).body.phase).toBe('Aborted');

    // A canary at 50 % with a cohort: abort sends the very next allocations back to v3, cohort included.
    const half = (await t.call('POST', '/v1/rollouts', {
      fleet: 'arena', build: 'v1', strategy: 'canary', oldIdleSeconds: 0,
      steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }], cohort: { players: ['c-1', 'c-2'] },
    })).body;
    await phase(half.id, 'Paused');
    expect((await allocate('c-1')).server.build).toBe('v1');
    expect((await t.call('POST', `/v1/rollouts/${half.id}/abort`)).body.phase).toBe('Aborted');
    expect((await allocate('c-2')).server.build).toBe('v3');
    for (let i = 0; i < 6; i++) expect((await allocate(`after-abort-${i}`)).server.build).toBe('v3');
    await closeAll();

    // Once a canary routes sessions, the next release supersedes it and its build drains beside.
    const routed = (await t.call('POST', '/v1/rollouts', { fleet: 'arena', build: 'v1', strategy: 'canary', oldIdleSeconds: 0, steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] })).body;
    await phase(routed.id, 'Paused');
    const next = await t.call('POST', '/v1/rollouts', { fleet: 'arena', build: 'v4', oldIdleSeconds: 0 });
    expect(next.status).toBe(201);
    expect((await rolloutOf(routed.id)).phase).toBe('Superseded');
    await phase(next.body.id, 'Completed');
    expect((await allocate('hotfix-player')).server.build).toBe('v4');
  }, 60_000);

  it('fails an A/B test whose third variant crash-loops, says why, and keeps new sessions where they went', async () => {
    // Fleet on v4 now.
    const started = (await t.call('POST', '/v1/rollouts', {
      fleet: 'arena', build: 'v2', strategy: 'ab-test', oldIdleSeconds: 0,
      variants: [{ build: 'v4', weight: 50 }, { build: 'v2', weight: 40 }, { build: 'vcrash', weight: 10 }],
    })).body;
    const failed = await phase(started.id, 'Failed');
    expect(failed.message).toMatch(/^servers of the new variants failed to start 3 times; last failure: /);
    expect((await allocate('after-crash')).server.build).toBe('v4');
  }, 30_000);
});
