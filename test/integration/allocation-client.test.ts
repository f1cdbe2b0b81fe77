/**
 * `handoff/client` against a real control plane over real sockets: a retried allocation with
 * the same idempotency key is the same session, never a second one; a replica that is gone is
 * skipped; the API's refusals arrive as typed errors with their codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, HandoffClient } from '../../src/client/index.js';
import { closedPortUrl } from '../../src/cli/fixture-server.js';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor, type TestPlane } from '../support/control-plane.js';

describe('handoff/client on a real control plane', () => {
  let plane: TestPlane;
  beforeAll(async () => {
    plane = await startTestPlane({ portBase: 45_340 });
    await plane.call('POST', '/v1/apply', { builds: [fixtureBuild('fx1')], fleets: [fleetSpec('arena', 'fx1', { minServers: 1, maxServers: 2 })] });
    await waitFor(async () => (await plane.call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready >= 1, 'a Ready server', 30_000);
  }, 60_000);
  afterAll(async () => plane?.close());

  it('answers a retried allocation with the same key with the same session, and opens no second one', async () => {
    const client = new HandoffClient({ urls: plane.cp.url });
    const first = await client.allocate({ fleet: 'arena', playerId: 'retry-me' }, { idempotencyKey: 'mm-req-1' });
    const again = await client.allocate({ fleet: 'arena', playerId: 'retry-me' }, { idempotencyKey: 'mm-req-1' });
    expect(again.sessionId).toBe(first.sessionId);
    expect(again.server.id).toBe(first.server.id);
    const open = (await plane.call('GET', '/v1/sessions?fleet=arena')).body.items.filter((s: { playerId: string; state: string }) => s.playerId === 'retry-me' && s.state !== 'Closed');
    expect(open).toHaveLength(1);
  });

  it('skips a replica that is gone and allocates on the next one in the list', async () => {
    const retries: string[] = [];
    const client = new HandoffClient({ urls: `${await closedPortUrl()},${plane.cp.url}`, onRetry: (n) => retries.push(n.failure.kind) });
    const a = await client.allocate({ fleet: 'arena', playerId: 'skips-dead' });
    expect(a.playerId).toBe('skips-dead');
    expect(retries).toEqual(['unreached']);
  });

  it('throws the API\'s code as a typed error, without retrying a refusal', async () => {
    const retries: unknown[] = [];
    const client = new HandoffClient({ urls: [plane.cp.url], onRetry: (n) => retries.push(n) });
    const e = await client.allocate({ fleet: 'no-such-fleet', playerId: 'p' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ code: 'FLEET_NOT_FOUND', status: 404 });
    expect(retries).toEqual([]);
    const reused = await client.allocate({ fleet: 'arena', playerId: 'someone-else' }, { idempotencyKey: 'mm-req-1' }).catch((x: unknown) => x);
    expect(reused).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });
});
