import { describe, expect, it } from 'vitest';
import { maintenance } from './index.js';
import { planMaintenance, standingMaintenance } from './plan.js';
import { after, MIN, rollout, server as s, T0 } from './testing.js';

const START = T0 + 10 * MIN;
const NOTICE_AT = START - 5 * MIN;
const old = [s('o1', 'v1', 'Active', 3), s('o2', 'v1', 'Ready', 0)];
const noticed = after(rollout(), planMaintenance({ rollout: rollout(), servers: old, now: NOTICE_AT }));
const opened = after(noticed, planMaintenance({ rollout: noticed, servers: [...old, s('n1', 'v2', 'Starting')], now: START }));

describe('the maintenance notice stands for the servers told of it', () => {
  it('is replayed, with the start time, to a server told of it whose watch connects later', () => {
    // o2 was Ready at the lead time, so the planner sent it the notice once — maybe before its
    // watch was connected; its watch gets it again when it connects.
    expect(standingMaintenance(noticed, 'o2', NOTICE_AT + 500)).toEqual([
      { type: 'maintenance', message: expect.any(String) as string, startsAt: START, at: NOTICE_AT + 500 },
    ]);
    expect(maintenance.standing?.(noticed, { id: 'o2', build: 'v1' }, NOTICE_AT + 500)).toHaveLength(1);
  });

  it('stands for nobody before the notice went out', () => {
    expect(standingMaintenance(rollout(), 'o1', NOTICE_AT - 1)).toEqual([]);
  });

  it('stands for nobody the planner has not told: it tells a server once it is up', () => {
    expect(standingMaintenance(noticed, 'o3', NOTICE_AT + 500)).toEqual([]);
    expect(standingMaintenance(opened, 'n1', START + 1)).toEqual([]);
  });

  it('still stands during the window and while the old servers drain after it reopened', () => {
    expect(opened.phase).toBe('Progressing');
    expect(standingMaintenance(opened, 'o1', START + 1)).toHaveLength(1);
    expect(standingMaintenance({ ...opened, phase: 'Draining' }, 'o1', START + 2 * MIN)).toHaveLength(1);
  });

  it('stands no more once the release ended, was aborted or failed', () => {
    for (const phase of ['Completed', 'Aborted', 'Failed'] as const) expect(standingMaintenance({ ...opened, phase }, 'o1', START + MIN)).toEqual([]);
  });
});
