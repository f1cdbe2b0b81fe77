import { describe, expect, it } from 'vitest';
import { beginHostDrain, planHostDrain, type HostDrain, type HostDrainPlan } from './plan-drain.js';

const T0 = 1_000_000;
const servers = [{ id: 'busy', used: 2 }, { id: 'empty', used: 0 }];
const drain = (over: Partial<HostDrain> = {}): HostDrain => ({ ...beginHostDrain({ deadlineSeconds: 600, noticeLeadSeconds: 60 }, T0), ...over });
const nothing: HostDrainPlan = { patch: {}, announce: [], close: [] };
const DEADLINE = T0 + 600_000;

describe('planHostDrain', () => {
  it.each<[string, HostDrain, number, HostDrainPlan]>([
    ['no deadline: waits for the players, however long', beginHostDrain(null, T0), T0 + 86_400_000, nothing],
    ['before the notice time: nothing', drain(), DEADLINE - 60_001, nothing],
    ['at the notice time: every server on the host is told the deadline', drain(), DEADLINE - 60_000, {
      patch: { noticeAt: DEADLINE - 60_000 }, announce: [{ serverId: 'busy', deadline: DEADLINE }, { serverId: 'empty', deadline: DEADLINE }], close: [],
    }],
    ['told, before the deadline: nothing more', drain({ noticeAt: DEADLINE - 60_000 }), DEADLINE - 1, nothing],
    ['told, at the deadline: the sessions left are closed on the servers that hold them', drain({ noticeAt: DEADLINE - 60_000 }), DEADLINE, {
      patch: { closedAt: DEADLINE }, announce: [], close: ['busy'],
    }],
    ['slept through both times: told now, closed at a later pass, never in the same breath', drain(), DEADLINE + 5_000, {
      patch: { noticeAt: DEADLINE + 5_000 }, announce: [{ serverId: 'busy', deadline: DEADLINE }, { serverId: 'empty', deadline: DEADLINE }], close: [],
    }],
    ['closed once: nothing after', drain({ noticeAt: DEADLINE - 60_000, closedAt: DEADLINE }), DEADLINE + 60_000, nothing],
    ['a notice lead longer than the deadline: told at once', beginHostDrain({ deadlineSeconds: 30, noticeLeadSeconds: 60 }, T0), T0, {
      patch: { noticeAt: T0 }, announce: [{ serverId: 'busy', deadline: T0 + 30_000 }, { serverId: 'empty', deadline: T0 + 30_000 }], close: [],
    }],
    ['a zero lead: told at the deadline, closed at the pass after', beginHostDrain({ deadlineSeconds: 30, noticeLeadSeconds: 0 }, T0), T0 + 30_000, {
      patch: { noticeAt: T0 + 30_000 }, announce: [{ serverId: 'busy', deadline: T0 + 30_000 }, { serverId: 'empty', deadline: T0 + 30_000 }], close: [],
    }],
  ])('%s', (_name, d, now, expected) => {
    expect(planHostDrain(d, servers, now)).toEqual(expected);
  });

  it('closes nothing on a host whose players all left before the deadline', () => {
    expect(planHostDrain(drain({ noticeAt: T0 }), [{ id: 'empty', used: 0 }], DEADLINE)).toEqual({ patch: { closedAt: DEADLINE }, announce: [], close: [] });
  });
});
