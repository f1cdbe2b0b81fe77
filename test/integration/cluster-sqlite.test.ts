import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestPlane, type TestPlane } from '../support/control-plane.js';

let t: TestPlane;
beforeAll(async () => {
  t = await startTestPlane({ portBase: 44_780 });
});
afterAll(async () => t?.close());

it('shows a control plane on SQLite as a cluster of one leader with no lease epoch', async () => {
  const { status, body } = await t.call('GET', '/v1/cluster');
  expect(status).toBe(200);
  expect(body).toMatchObject({ store: 'sqlite', epoch: null, leaseExpiresAt: null, leader: { id: body.self, url: t.cp.url } });
  expect(body.items).toEqual([expect.objectContaining({ id: body.self, role: 'leader', url: t.cp.url })]);
  expect((await t.call('GET', '/openapi.json')).body.paths).toHaveProperty('/v1/cluster');
});
