/**
 * `POST /v1/events`: chaos experiments (and operators) append `chaos.*` and `annotation.*`
 * entries to the event log; every other kind is the control plane's own and is refused with a
 * coded error, leaving the state exactly as it was. And `handoff chaos run` refuses an invalid
 * experiment before touching anything.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableDigest, repoRoot, startTestPlane, type Json, type TestPlane } from '../support/control-plane.js';

describe('POST /v1/events', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 44_900 });
  });
  afterAll(() => t.close());

  it('appends a chaos event to the log, where GET /v1/events shows it', async () => {
    const res = await t.call('POST', '/v1/events', { kind: 'chaos.injected', subject: 'kill-a-third', fleet: 'arena', message: 'fault on', data: { fault: 'kill-servers' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'chaos.injected', subject: 'kill-a-third', fleet: 'arena', data: { fault: 'kill-servers' } });
    const items = (await t.call('GET', '/v1/events?limit=1000')).body.items as Json[];
    expect(items.filter((e) => e.kind === 'chaos.injected')).toEqual([expect.objectContaining({ subject: 'kill-a-third', message: 'fault on' })]);
  });

  it.each([
    ['a kind the control plane writes itself', { kind: 'session.closed', subject: 's1', data: { reason: 'server_crashed' } }, 422, 'EVENT_KIND_RESERVED'],
    ['a kind with no namespace', { kind: 'chaos', subject: 'x' }, 422, 'EVENT_KIND_RESERVED'],
    ['an unknown field', { kind: 'chaos.x', subject: 'x', seq: 5 }, 400, 'UNKNOWN_FIELD'],
    ['no subject', { kind: 'chaos.x' }, 400, 'VALIDATION_FAILED'],
    ['data that is not an object', { kind: 'annotation.note', subject: 'x', data: [1] }, 400, 'VALIDATION_FAILED'],
  ])('refuses %s with a stable code and changes nothing', async (_name, body, status, code) => {
    const before = await durableDigest(t.cp);
    const res = await t.call('POST', '/v1/events', body);
    expect([res.status, res.body.error.code]).toEqual([status, code]);
    expect(await durableDigest(t.cp)).toBe(before);
  });
});

describe('handoff chaos run with an invalid experiment', () => {
  it('exits 2 with CHAOS_EXPERIMENT_INVALID naming the field, before any request', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'handoff-chaos-bad-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'kind: ChaosExperiment\nname: bad\nduration: 5s\nload: { fleet: arena, rate: 10 }\nhypothesis: { minAllocationSuccess: 0.99 }\nfault: { type: kill-servers, fleet: arena, count: 1, percent: 5 }\n');
    // Nobody listens on this port: an invalid experiment must not even try to connect.
    const r = await promisify(execFile)(path.join(repoRoot, 'bin/handoff'), ['--server', 'http://127.0.0.1:9', 'chaos', 'run', file, '--json']).then(
      (ok) => ({ code: 0, stdout: ok.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'CHAOS_EXPERIMENT_INVALID', details: { field: 'fault' } } });
  }, 30_000);
});
