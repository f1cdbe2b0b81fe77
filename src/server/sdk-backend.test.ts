import { describe, expect, it } from 'vitest';
import { planMaintenance } from '../rollout/strategies/maintenance/plan.js';
import { after, MIN, rollout, server, T0 } from '../rollout/strategies/maintenance/testing.js';
import { NoticeHub } from '../sdk/notices.js';
import type { Notice } from '../sdk/protocol.js';
import { World } from '../state/world.js';
import { sampleServer } from '../store/fixtures.js';
import { standingNotices } from './sdk-backend.js';

const START = T0 + 10 * MIN;
const NOTICE_AT = START - 5 * MIN;

/** A fleet `arena` with one Ready server `srv_1` on v1, and a maintenance release whose notice went out to it. */
function worldWithNotice(): World {
  const world = new World();
  world.putServer(sampleServer({ id: 'srv_1', fleet: 'arena', build: 'v1', state: 'Ready' }));
  const r = rollout();
  world.putRollout(after(r, planMaintenance({ rollout: r, servers: [server('srv_1', 'v1')], now: NOTICE_AT })));
  return world;
}

describe('standing notices', () => {
  it('replay the maintenance notice to a server whose watch connects after it was sent', () => {
    const world = worldWithNotice();
    const hub = new NoticeHub((id) => standingNotices(world, id, () => NOTICE_AT + 500));
    // The planner's one send, while srv_1 had no watch yet (it calls `ready` before connecting it): lost.
    hub.send('srv_1', { type: 'maintenance', message: 'm', startsAt: START, at: NOTICE_AT });
    const seen: Notice[] = [];
    hub.subscribe('srv_1', (n) => seen.push(n));
    expect(seen).toEqual([expect.objectContaining({ type: 'maintenance', startsAt: START, at: NOTICE_AT + 500 })]);
  });

  it('put the maintenance notice before a drain the window announced', () => {
    const world = worldWithNotice();
    const srv = world.servers.get('srv_1');
    if (!srv) throw new Error('fixture');
    world.putServer({ ...srv, drainDeadline: START + MIN, drainReason: 'maintenance' });
    expect(standingNotices(world, 'srv_1', () => START).map((n) => n.type)).toEqual(['maintenance', 'drain']);
  });

  it('hold nothing for a server of a fleet with no release under way', () => {
    const world = new World();
    world.putServer(sampleServer({ id: 'srv_1', fleet: 'arena', build: 'v1', state: 'Ready' }));
    expect(standingNotices(world, 'srv_1', () => NOTICE_AT)).toEqual([]);
    expect(standingNotices(world, 'srv_nope', () => NOTICE_AT)).toEqual([]);
  });
});
