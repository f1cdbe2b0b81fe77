import { describe, expect, it } from 'vitest';
import type { GameServer } from '../fleet/model.js';
import { fleetEndpoints } from './endpoints.js';
import type { RoutingTable } from './routing.js';

const srv = (id: string, build: string, state: GameServer['state'] = 'Ready') => ({ id, build, state, address: '127.0.0.1', ports: { http: 9000 } });
const servers = [srv('s2', 'v1', 'Active'), srv('s1', 'v1'), srv('s3', 'v2'), srv('s4', 'v1', 'Draining'), srv('s5', 'v1', 'Starting'), srv('s6', 'v1', 'Unhealthy')];
const v1: RoutingTable = { entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] };

describe('fleetEndpoints', () => {
  it.each([
    ['lists the serving servers of routed builds, by id', v1, ['s1', 's2']],
    ['lists both builds of a weighted split', { entries: [{ build: 'v1', weight: 90 }, { build: 'v2', weight: 10 }] }, ['s1', 's2', 's3']],
    ['switches to the new build\'s servers alone after a blue-green switch', { entries: [{ build: 'v1', weight: 0 }, { build: 'v2', weight: 100 }] }, ['s3']],
    ['lists nothing while the fleet is closed for maintenance', { ...v1, closed: { until: 1, reason: 'maintenance' } }, []],
  ] as [string, RoutingTable, string[]][])('%s', (_n, routing, ids) => {
    expect(fleetEndpoints(routing, servers).endpoints.map((e) => e.server)).toEqual(ids);
  });

  it('gives each endpoint its build\'s weight', () => {
    const { endpoints } = fleetEndpoints({ entries: [{ build: 'v1', weight: 90 }, { build: 'v2', weight: 10 }] }, servers);
    expect(endpoints.map((e) => [e.server, e.weight])).toEqual([['s1', 90], ['s2', 90], ['s3', 10]]);
  });

  it('keeps its version while the list is the same, whatever the order of the servers, and changes it with the list', () => {
    const a = fleetEndpoints(v1, servers).version;
    expect(fleetEndpoints(v1, [...servers].reverse()).version).toBe(a);
    expect(fleetEndpoints(v1, servers.slice(1)).version).not.toBe(a);
  });
});
