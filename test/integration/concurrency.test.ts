import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCatalogue } from '../../src/core/errors.js';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type Json, type TestPlane } from '../support/control-plane.js';

/** One POST over a shared keep-alive agent: 64 real sockets hitting the server at once. */
function post(url: string, agent: Agent, body: unknown): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(`${url}/v1/allocations`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('64 concurrent allocation clients against limited capacity', () => {
  let t: TestPlane;
  const SLOTS_PER_SERVER = 5;
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 41_400 });
    await t.call('POST', '/v1/apply', {
      builds: [fixtureBuild('v1', [], SLOTS_PER_SERVER)],
      fleets: [fleetSpec('arena', 'v1', { minServers: 3, maxServers: 3, bufferServers: 0 })],
    });
    await waitFor(async () => (await t.call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready === 3, 'three Ready servers');
  });
  afterAll(() => t.close());

  it('never overfills a server, never gives a slot twice, and answers every request with a session or a code', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const clients = Array.from({ length: 64 }, (_, c) => (async () => {
      const answers: { status: number; body: Json }[] = [];
      for (let i = 0; i < 4; i++) answers.push(await post(t.cp.url, agent, { fleet: 'arena', playerId: `c${c}-p${i}` }));
      return answers;
    })());
    const answers = (await Promise.all(clients)).flat();
    agent.destroy();

    const ok = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status !== 201);
    expect(ok).toHaveLength(3 * SLOTS_PER_SERVER);
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('NO_CAPACITY');
      expect(Object.keys(ErrorCatalogue)).toContain(r.body.error.code);
    }
    const sessionIds = ok.map((a) => a.body.sessionId as string);
    expect(new Set(sessionIds).size).toBe(sessionIds.length);

    const perServer = new Map<string, number>();
    for (const a of ok) perServer.set(a.body.server.id, (perServer.get(a.body.server.id) ?? 0) + 1);
    for (const n of perServer.values()) expect(n).toBeLessThanOrEqual(SLOTS_PER_SERVER);

    // What was acknowledged is what is stored: same sessions, same placement.
    const stored = (await t.call('GET', '/v1/sessions?fleet=arena&open=true&limit=1000')).body.items as Json[];
    expect(new Set(stored.map((s) => s.id))).toEqual(new Set(sessionIds));
    const servers = (await t.call('GET', '/v1/servers?fleet=arena')).body.items as Json[];
    for (const s of servers) expect(s.sessions).toBeLessThanOrEqual(s.capacity);
  });

  it('gives one player hammering from 64 sockets exactly one session', async () => {
    await Promise.all((await t.call('GET', '/v1/sessions?fleet=arena&open=true&limit=1000')).body.items.map((s: Json) => t.call('DELETE', `/v1/sessions/${s.id}`)));
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const answers = await Promise.all(Array.from({ length: 64 }, () => post(t.cp.url, agent, { fleet: 'arena', playerId: 'same-player' })));
    agent.destroy();
    expect(answers.every((a) => a.status === 201 || a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.body.sessionId)).size).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
  });
});
