import { describe, expect, it } from 'vitest';
import { World } from '../state/world.js';
import { sampleFleet, sampleServer } from '../store/fixtures.js';
import { fleetView } from './views.js';

describe('fleetView', () => {
  it('shows a maintenance window in the routing and no free slot while the fleet is closed', () => {
    const world = new World();
    const routing = { entries: [{ build: 'v2', weight: 100 }, { build: 'v1', weight: 0 }] };
    world.putServer(sampleServer({ id: 'n1', fleet: 'arena', build: 'v2', state: 'Ready', capacity: 4 }));
    const open = sampleFleet({ name: 'arena', routing });
    expect(fleetView(world, open).status.freeSlots).toBe(4);
    const closed = sampleFleet({ name: 'arena', routing: { ...routing, closed: { until: 5_000, reason: 'maintenance: v1 → v2' } } });
    const view = fleetView(world, closed);
    expect(view.routing.closed).toEqual({ until: 5_000, reason: 'maintenance: v1 → v2' });
    expect(view.status.freeSlots).toBe(0);
    expect(fleetView(world, open).routing.closed).toBeNull();
  });
});
