import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor, type Json, type TestPlane } from '../support/control-plane.js';
import { digestWithPlans, simBuild, simFleet, startSimulatedPlane } from '../support/simulated-plane.js';

const FLEETS = ['infra', 'payments', 'world', 'raids'] as const;

/** Four fleets on v1, each with v2 and v3 registered; payments is a service without sessions. */
async function game(): Promise<TestPlane> {
  const t = await startSimulatedPlane();
  const builds = FLEETS.flatMap((f) => ['v1', 'v2', 'v3'].map((v) => simBuild(`${f}-${v}`, f === 'payments' ? 0 : 4)));
  const r = await t.call('POST', '/v1/apply', { builds, fleets: FLEETS.map((f) => simFleet(f, `${f}-v1`, f === 'raids' ? 1 : 2)) });
  expect(r.status).toBe(200);
  for (const f of FLEETS) await waitFor(async () => (await t.call('GET', `/v1/fleets/${f}`)).body.status.serversByState.Ready >= (f === 'raids' ? 1 : 2), `${f} Ready`);
  return t;
}

/** Four fleets, four strategies: infra first, then payments and world side by side, raids after both. */
function fourStrategies(v: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'season', failurePolicy: 'stop',
    steps: [
      { name: 'infra', fleet: 'infra', build: `infra-${v}`, strategy: 'maintenance', startsAt: Date.now() + 1500, durationSeconds: 600, noticeLeadSeconds: 1 },
      { name: 'payments', fleet: 'payments', build: `payments-${v}`, strategy: 'blue-green', after: ['infra'] },
      { name: 'world', fleet: 'world', build: `world-${v}`, strategy: 'rolling', maxSurge: 1, maxUnavailable: 0, after: ['infra'] },
      { name: 'raids', fleet: 'raids', build: `raids-${v}`, strategy: 'canary', steps: [{ setWeight: 50 }, { setWeight: 100 }], after: ['world', 'payments'], gate: { approval: true } },
    ],
    ...extra,
  };
}

const plan = async (t: TestPlane, name: string): Promise<Json> => (await t.call('GET', `/v1/releases/${name}`)).body;
const step = (p: Json, name: string): Json => p.steps.find((s: Json) => s.name === name);
const rollout = async (t: TestPlane, id: string): Promise<Json> => (await t.call('GET', `/v1/rollouts/${id}`)).body;

/** A webhook answering every POST with `status`. */
async function hook(status: number): Promise<{ url: string; calls: Json[]; close: () => Promise<void> }> {
  const calls: Json[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push(JSON.parse(body));
      res.writeHead(status).end(status === 200 ? 'go' : 'qa suite failed');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/gate`, calls, close: () => new Promise((r) => server.close(() => r())) };
}

describe('release plans', () => {
  let t: TestPlane | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('completes a plan of four fleets and four strategies in dependency order, waiting for its approval gate', async () => {
    t = await game();
    const applied = await t.call('POST', '/v1/releases', fourStrategies('v2'));
    expect([applied.status, applied.body.result]).toEqual([200, 'created']);
    const gated = await waitFor(async () => step(await plan(t!, 'season'), 'raids').phase === 'Gated' && plan(t!, 'season'), 'raids at its approval gate', 40_000);
    expect(['infra', 'payments', 'world'].map((s) => step(gated, s).phase)).toEqual(['Completed', 'Completed', 'Completed']);
    expect(step(gated, 'raids').rolloutId).toBeNull();
    const events = (await t.call('GET', '/v1/events?limit=1000')).body.items as { kind: string; subject: string; data: { step?: string } }[];
    expect(events.filter((e) => e.kind === 'release.gate.waiting').map((e) => [e.subject, e.data.step])).toEqual([['season', 'raids']]);
    const approved = await t.call('POST', '/v1/releases/season/approve', {});
    expect(approved.status).toBe(200);
    const done = await waitFor(async () => ((await plan(t!, 'season')).phase === 'Completed' ? plan(t!, 'season') : null), 'the plan to complete', 40_000);

    // Every step's rollout started only after the rollouts of the steps before it completed.
    const spec = fourStrategies('v2').steps;
    for (const s of spec) {
      const mine = await rollout(t, step(done, s.name).rolloutId);
      expect(mine.phase).toBe('Completed');
      for (const dep of s.after ?? []) expect(mine.createdAt).toBeGreaterThanOrEqual((await rollout(t, step(done, dep).rolloutId)).completedAt);
    }
    expect(done.completionOrder[0]).toBe('infra');
    expect(done.completionOrder[3]).toBe('raids');
    for (const f of FLEETS) expect((await t.call('GET', `/v1/fleets/${f}`)).body.currentBuild).toBe(`${f}-v2`);

    // Re-applying the identical plan changes nothing.
    const again = await t.call('POST', '/v1/releases', { ...fourStrategies('v2'), steps: done.spec.steps.map((s: Json) => ({ name: s.name, fleet: s.fleet, build: s.build, after: s.after, gate: s.gate, ...s.spec })) });
    expect([again.status, again.body.result]).toEqual([200, 'unchanged']);
  }, 120_000);

  it('stops at a failed webhook gate: the steps after it never start, the completed ones stay', async () => {
    t = await game();
    const qa = await hook(500);
    try {
      const body = {
        name: 'gated', failurePolicy: 'stop', webhooks: [{ name: 'qa', url: qa.url, timeoutSeconds: 5 }],
        steps: [
          { name: 'payments', fleet: 'payments', build: 'payments-v2' },
          { name: 'world', fleet: 'world', build: 'world-v2', strategy: 'rolling', after: ['payments'], gate: { webhook: { name: 'qa' } } },
          { name: 'raids', fleet: 'raids', build: 'raids-v2', strategy: 'rolling', after: ['world'] },
        ],
      };
      expect((await t.call('POST', '/v1/releases', body)).status).toBe(200);
      const ended = await waitFor(async () => ((await plan(t!, 'gated')).phase === 'Failed' ? plan(t!, 'gated') : null), 'the plan to stop', 40_000);
      expect(ended.steps.map((s: Json) => [s.name, s.phase])).toEqual([['payments', 'Completed'], ['world', 'Failed'], ['raids', 'Cancelled']]);
      expect(step(ended, 'world').gate).toMatchObject({ kind: 'webhook', state: 'failed' });
      expect(step(ended, 'world').gate.detail).toContain('500');
      expect(qa.calls).toEqual([{ release: 'gated', step: 'world', fleet: 'world', build: 'world-v2', strategy: 'rolling' }]);
      expect((await t.call('GET', '/v1/fleets/world')).body.currentBuild).toBe('world-v1');
      expect((await t.call('GET', '/v1/fleets/payments')).body.currentBuild).toBe('payments-v2');
      expect((await t.call('GET', '/v1/rollouts?fleet=world')).body.items).toEqual([]);
    } finally {
      await qa.close();
    }
  }, 120_000);

  it('stops at an analysis gate whose judged build breaks its threshold, with the verdict\'s numbers', async () => {
    t = await game();
    // world-crashy's servers become ready, then crash about once every 3 s each.
    const crashy = simBuild('world-crashy');
    crashy.launch.args.push('--sim-crashes-per-hour=1200');
    expect((await t.call('POST', '/v1/apply', { builds: [crashy] })).status).toBe(200);
    const body = {
      name: 'judged', failurePolicy: 'stop',
      steps: [
        { name: 'world', fleet: 'world', build: 'world-crashy' },
        { name: 'raids', fleet: 'raids', build: 'raids-v2', after: ['world'], gate: { analysis: { windowSeconds: 10, metrics: [{ metric: 'crash_rate', max: 0.05, minSamples: 1 }] } } },
      ],
    };
    expect((await t.call('POST', '/v1/releases', body)).status).toBe(200);
    const checking = await waitFor(async () => (step(await plan(t!, 'judged'), 'raids').gate?.state === 'checking' ? plan(t!, 'judged') : null), 'the gate to check', 40_000);
    expect([step(checking, 'world').phase, step(checking, 'raids').phase]).toEqual(['Completed', 'Gated']);
    const ended = await waitFor(async () => ((await plan(t!, 'judged')).phase === 'Failed' ? plan(t!, 'judged') : null), 'the plan to stop', 40_000);
    expect(ended.steps.map((s: Json) => [s.name, s.phase])).toEqual([['world', 'Completed'], ['raids', 'Failed']]);
    const gate = step(ended, 'raids').gate;
    expect([gate.kind, gate.state, gate.analysis.verdict]).toEqual(['analysis', 'failed', 'fail']);
    expect(gate.analysis.window.until - gate.analysis.window.since).toBe(10_000);
    const [judged] = gate.analysis.verdicts;
    expect([judged.step, judged.canary, judged.baseline, judged.verdict]).toEqual(['world', 'world-crashy', 'world-v1', 'fail']);
    const crashRate = judged.metrics.find((m: Json) => m.metric === 'crash_rate');
    expect(crashRate.verdict).toBe('fail');
    expect(crashRate.canary.n).toBeGreaterThan(0);
    expect(crashRate.canary.value).toBeGreaterThan(0.05);
    const events = (await t.call('GET', '/v1/events?limit=1000')).body.items as { kind: string; subject: string; data: Json }[];
    expect(events.filter((e) => e.kind === 'release.verdict').map((e) => [e.subject, e.data.step, e.data.verdict])).toEqual([['judged', 'raids', 'fail']]);
    expect((await t.call('GET', '/v1/fleets/raids')).body.currentBuild).toBe('raids-v1');
    expect((await t.call('GET', '/v1/rollouts?fleet=raids')).body.items).toEqual([]);
  }, 120_000);

  it('holds an inconclusive analysis gate for a person, and starts the step once approved', async () => {
    t = await game();
    const body = {
      name: 'unsure',
      steps: [
        { name: 'world', fleet: 'world', build: 'world-v2' },
        // Far more servers than the window can see: too little data, never a silent pass.
        { name: 'raids', fleet: 'raids', build: 'raids-v2', after: ['world'], gate: { analysis: { windowSeconds: 10, metrics: [{ metric: 'crash_rate', max: 0.05, minSamples: 1000 }] } } },
      ],
    };
    expect((await t.call('POST', '/v1/releases', body)).status).toBe(200);
    const held = await waitFor(async () => (step(await plan(t!, 'unsure'), 'raids').gate?.state === 'inconclusive' ? plan(t!, 'unsure') : null), 'an inconclusive gate', 40_000);
    expect([held.phase, step(held, 'raids').phase, step(held, 'raids').rolloutId, step(held, 'raids').gate.analysis.verdict]).toEqual(['Running', 'Gated', null, 'inconclusive']);
    expect((await t.call('POST', '/v1/releases/unsure/approve', {})).status).toBe(200);
    const done = await waitFor(async () => ((await plan(t!, 'unsure')).phase === 'Completed' ? plan(t!, 'unsure') : null), 'the plan to complete', 40_000);
    expect(step(done, 'raids').gate).toMatchObject({ kind: 'analysis', state: 'passed', detail: 'approved by operator' });
    expect((await t.call('GET', '/v1/fleets/raids')).body.currentBuild).toBe('raids-v2');
  }, 120_000);

  it('rolls back completed steps in reverse completion order when its policy says so', async () => {
    t = await game();
    const qa = await hook(503);
    try {
      const body = {
        name: 'undo', failurePolicy: 'rollback',
        steps: [
          { name: 'world', fleet: 'world', build: 'world-v2', strategy: 'rolling' },
          { name: 'raids', fleet: 'raids', build: 'raids-v2', strategy: 'canary', steps: [{ setWeight: 100 }], after: ['world'] },
          { name: 'payments', fleet: 'payments', build: 'payments-v2', after: ['raids'], gate: { webhook: { url: qa.url, timeoutSeconds: 5 } } },
        ],
      };
      expect((await t.call('POST', '/v1/releases', body)).status).toBe(200);
      const ended = await waitFor(async () => ((await plan(t!, 'undo')).phase === 'RolledBack' ? plan(t!, 'undo') : null), 'the plan to roll back', 60_000);
      expect(ended.completionOrder).toEqual(['world', 'raids']);
      expect(ended.steps.map((s: Json) => [s.name, s.phase])).toEqual([['world', 'RolledBack'], ['raids', 'RolledBack'], ['payments', 'Failed']]);
      const [raidsBack, worldBack] = [await rollout(t, step(ended, 'raids').rollbackRolloutId), await rollout(t, step(ended, 'world').rollbackRolloutId)];
      expect([raidsBack.toBuild, worldBack.toBuild]).toEqual(['raids-v1', 'world-v1']);
      // Newest first, one at a time: world's rollback started after raids' completed.
      expect(worldBack.createdAt).toBeGreaterThanOrEqual(raidsBack.completedAt);
      for (const f of ['world', 'raids']) expect((await t.call('GET', `/v1/fleets/${f}`)).body.currentBuild).toBe(`${f}-v1`);
    } finally {
      await qa.close();
    }
  }, 120_000);

  it('aborts a running plan: its running step\'s rollout is aborted, the rest never start', async () => {
    t = await game();
    const body = { name: 'stopme', steps: [{ name: 'world', fleet: 'world', build: 'world-v2', strategy: 'canary', steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] }, { name: 'raids', fleet: 'raids', build: 'raids-v2', after: ['world'] }] };
    expect((await t.call('POST', '/v1/releases', body)).status).toBe(200);
    const running = await waitFor(async () => step(await plan(t!, 'stopme'), 'world').rolloutId, 'world started');
    const r = await t.call('POST', '/v1/releases/stopme/abort');
    expect(r.status).toBe(200);
    expect(r.body.phase).toBe('Aborted');
    expect(r.body.steps.map((s: Json) => s.phase)).toEqual(['Aborted', 'Cancelled']);
    expect((await rollout(t, running)).phase).toBe('Aborted');
    const again = await t.call('POST', '/v1/releases/stopme/abort');
    expect([again.status, again.body.error.code]).toEqual([409, 'RELEASE_INVALID_PHASE']);
  }, 60_000);

  describe('bad input gets a coded 4xx and applies nothing', () => {
    const base = () => fourStrategies('v2');
    const cases: [string, string, () => unknown, number, string][] = [
      ['a dependency cycle', '/v1/releases', () => ({ ...base(), steps: base().steps.map((s) => (s.name === 'infra' ? { ...s, after: ['raids'] } : s)) }), 422, 'RELEASE_PLAN_CYCLE'],
      ['a gate on an unknown webhook', '/v1/releases', () => ({ ...base(), steps: base().steps.map((s) => (s.name === 'world' ? { ...s, gate: { webhook: { name: 'nope' } } } : s)) }), 422, 'RELEASE_WEBHOOK_UNKNOWN'],
      ['an `after` naming no step', '/v1/releases', () => ({ ...base(), steps: base().steps.map((s) => (s.name === 'world' ? { ...s, after: ['ghost'] } : s)) }), 422, 'RELEASE_PLAN_INVALID'],
      ['two steps on one fleet', '/v1/releases', () => ({ ...base(), steps: [...base().steps, { name: 'again', fleet: 'world', build: 'world-v3' }] }), 422, 'RELEASE_PLAN_INVALID'],
      ['an unknown fleet', '/v1/releases', () => ({ ...base(), steps: [...base().steps, { name: 'x', fleet: 'ghost', build: 'world-v3' }] }), 404, 'FLEET_NOT_FOUND'],
      ['an analysis gate on an unknown metric', '/v1/releases', () => ({ ...base(), steps: base().steps.map((s) => (s.name === 'world' ? { ...s, gate: { analysis: { windowSeconds: 60, metrics: [{ metric: 'crash_rat', max: 0.05 }] } } } : s)) }), 422, 'ANALYSIS_UNKNOWN_METRIC'],
      ['an analysis gate on a step that comes after none', '/v1/releases', () => ({ ...base(), steps: base().steps.map((s) => (s.name === 'infra' ? { ...s, gate: { analysis: { metrics: [{ metric: 'crash_rate', max: 0.05 }] } } } : s)) }), 422, 'RELEASE_PLAN_INVALID'],
      ['an unknown build', '/v1/releases', () => ({ ...base(), steps: base().steps.map((s) => (s.name === 'world' ? { ...s, build: 'world-v9' } : s)) }), 404, 'BUILD_NOT_FOUND'],
      ['a misspelt step field', '/v1/releases', () => ({ ...base(), steps: base().steps.map((s) => (s.name === 'world' ? { ...s, aftr: [] } : s)) }), 400, 'UNKNOWN_FIELD'],
      ['a cycle in an apply, next to a valid build', '/v1/apply', () => ({ builds: [simBuild('world-v8')], releasePlans: [{ ...base(), steps: base().steps.map((s) => (s.name === 'infra' ? { ...s, after: ['raids'] } : s)) }] }), 422, 'RELEASE_PLAN_CYCLE'],
    ];
    it.each(cases)('refuses %s', async (_n, route, body, status, code) => {
      t = await game();
      const before = await digestWithPlans(t);
      const r = await t.call('POST', route, body());
      expect([r.status, r.body.error.code]).toEqual([status, code]);
      expect(await digestWithPlans(t)).toBe(before);
    }, 60_000);
  });
});
