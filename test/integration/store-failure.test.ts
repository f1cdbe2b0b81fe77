import { describe, expect, it } from 'vitest';
import { fixtureBuild, fleetSpec, startTestPlane, waitFor } from '../support/control-plane.js';

describe('a store that fails under a running control plane', () => {
  it('answers STORE_UNAVAILABLE, acknowledges nothing more, and asks to be restarted', async () => {
    const fatal: unknown[] = [];
    const t = await startTestPlane({ portBase: 41_900, onFatal: (e) => fatal.push(e) });
    try {
      await t.call('POST', '/v1/apply', { builds: [fixtureBuild('v1')], fleets: [fleetSpec('arena', 'v1', { minServers: 1 })] });
      await waitFor(async () => (await t.call('GET', '/v1/fleets/arena')).body.status.serversByState.Ready === 1, 'a Ready server');
      await t.cp.store.close();

      const failed = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'p1' });
      expect([failed.status, failed.body.error.code, failed.body.error.retryable]).toEqual([503, 'STORE_UNAVAILABLE', true]);
      expect(fatal).toHaveLength(1);
      // Nothing after the failure is acknowledged either.
      const next = await t.call('POST', '/v1/allocations', { fleet: 'arena', playerId: 'p2' });
      expect(next.body.error.code).toBe('STORE_UNAVAILABLE');
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});
