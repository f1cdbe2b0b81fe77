import { beforeEach, describe, expect, it } from 'vitest';
import type { Host } from '../hosts/model.js';
import { sampleTime } from './fixtures.js';
import type { StateStore } from './port.js';

/** The host registry of the StateStore contract (src/hosts). Called by `describeStateStoreContract`. */
export function describeHostContract(current: () => StateStore, reopen: () => Promise<StateStore>): void {
  let store: StateStore;
  beforeEach(() => {
    store = current();
  });

  describe('hosts', () => {
    it('round-trips hosts by id, upserts them and keeps them across a reopen', async () => {
      await store.commit([{ kind: 'putHost', host: sampleHost('host-b', 'zone-2') }, { kind: 'putHost', host: sampleHost('host-a', 'zone-1') }]);
      await store.commit([{ kind: 'putHost', host: { ...sampleHost('host-b', 'zone-2'), schedule: 'Cordoned' } }]);
      const expected = [sampleHost('host-a', 'zone-1'), { ...sampleHost('host-b', 'zone-2'), schedule: 'Cordoned' }];
      expect(await store.listHosts()).toEqual(expected);
      expect(await (await reopen()).listHosts()).toEqual(expected);
    });

    it('lists no hosts in a new store', async () => {
      expect(await store.listHosts()).toEqual([]);
    });
  });
}

function sampleHost(id: string, zone: string): Host {
  return {
    id, zone, region: 'eu', publicAddress: '10.200.0.2', portRange: { from: 7400, to: 7499 },
    capacity: { slots: 20, cpuMillis: 8000, memoryMb: null }, schedule: 'Ready', registeredAt: sampleTime, lastHeartbeatAt: sampleTime + 1,
  };
}
