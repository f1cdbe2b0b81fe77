import { describe, expect, it } from 'vitest';
import { planAbort, planPromote } from '../../commands.js';
import { fleetRoles } from '../../roles.js';
import type { RolloutServer } from '../../strategy.js';
import { rolling } from './index.js';
import { planRolling, rollingWeight } from './plan.js';
import { progressOf } from './progress.js';
import { promoted, srv, startedRolling, stepRolling, T0 } from './testing.js';

const v1 = (id: string, used: number, state: RolloutServer['state'] = used > 0 ? 'Active' : 'Ready') => srv(id, 'v1', state, used);
const v2 = (id: string, used = 0, state: RolloutServer['state'] = used > 0 ? 'Active' : 'Ready') => srv(id, 'v2', state, used);

describe('planRolling with no spare capacity (maxSurge 0, maxUnavailable 1)', () => {
  it('takes the emptiest old server out of rotation first and starts nothing while the fleet is full', () => {
    const { plan, progress } = stepRolling(startedRolling(), [v1('o1', 3), v1('o2', 1)], T0 + 1);
    expect(plan.drainServers).toEqual([{ serverId: 'o2', reason: 'release' }]);
    expect(plan.routing?.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
    expect(progress).toMatchObject({ batch: 1, batches: 2, oldTarget: 1, newTarget: 0, outOfRotation: 1 });
    expect(plan.migrate).toEqual([]);
  });

  it('starts the replacement only once the old server has left the fleet', () => {
    const first = stepRolling(startedRolling(), [v1('o1', 3), v1('o2', 1)], T0 + 1).next;
    const emptying = stepRolling(first, [v1('o1', 3), v1('o2', 1, 'Draining')], T0 + 2);
    expect(emptying.plan.drainServers).toBeUndefined();
    expect(emptying.progress.newTarget).toBe(0);
    const stopping = stepRolling(emptying.next, [v1('o1', 3), v1('o2', 0, 'Draining')], T0 + 3);
    expect(stopping.progress.newTarget).toBe(0);
    const gone = stepRolling(stopping.next, [v1('o1', 3)], T0 + 4);
    expect(gone.progress).toMatchObject({ newTarget: 1, oldTarget: 1, replaced: 1 });
    expect(gone.next.message).toBe('batch 1/2: 0 v2 and 1 v1 in rotation, 1 v2 starting');
  });

  it('puts a Ready new server in rotation and takes the next old server out in the next batch', () => {
    let r = stepRolling(startedRolling(), [v1('o1', 3), v1('o2', 1)], T0 + 1).next;
    r = stepRolling(r, [v1('o1', 3)], T0 + 2).next;
    const { plan, next, progress } = stepRolling(r, [v1('o1', 3), v2('n1')], T0 + 3);
    expect(progress).toMatchObject({ batch: 2, inRotation: 1, oldInRotation: 0, newTarget: 1, oldTarget: 0 });
    expect(plan.drainServers).toEqual([{ serverId: 'o1', reason: 'release' }]);
    expect(plan.routing?.entries).toEqual([{ build: 'v1', weight: 0 }, { build: 'v2', weight: 100 }]);
    expect(next).toMatchObject({ switchedAt: T0 + 3, readyAt: T0 + 3 });
    expect(rolling.hasRouted(next)).toBe(true);
  });

  it('completes once the last old server has left and its replacement is Ready', () => {
    let r = stepRolling(startedRolling(), [v1('o1', 3), v1('o2', 1)], T0 + 1).next;
    r = stepRolling(r, [v1('o1', 3)], T0 + 2).next;
    r = stepRolling(r, [v1('o1', 3), v2('n1')], T0 + 3).next;
    expect(stepRolling(r, [v1('o1', 1, 'Draining'), v2('n1', 2)], T0 + 4).progress.newTarget).toBe(1);
    expect(stepRolling(r, [v2('n1', 2)], T0 + 5).progress.newTarget).toBe(2);
    const { plan, next } = stepRolling(r, [v2('n1', 2), v2('n2')], T0 + 6);
    expect(next).toMatchObject({ phase: 'Completed', completedAt: T0 + 6 });
    expect(plan.completeFleetWith).toBe('v2');
    expect(plan.routing).toEqual({ entries: [{ build: 'v2', weight: 100 }] });
    expect(next.message).toBe('v2 is the fleet\'s build: 2 servers replaced in 2 batches');
  });
});

describe('planRolling budgets', () => {
  it('with surge, starts the new server before any old one leaves rotation', () => {
    const r = startedRolling({ maxSurge: 1, maxUnavailable: 0 });
    const first = stepRolling(r, [v1('o1', 3), v1('o2', 1)], T0 + 1);
    expect(first.plan.drainServers).toBeUndefined();
    expect(first.progress).toMatchObject({ newTarget: 1, oldTarget: 2 });
    const ready = stepRolling(first.next, [v1('o1', 3), v1('o2', 1), v2('n1')], T0 + 2);
    expect(ready.plan.drainServers).toEqual([{ serverId: 'o2', reason: 'release' }]);
    expect(ready.plan.routing?.entries).toEqual([{ build: 'v1', weight: 50 }, { build: 'v2', weight: 50 }]);
  });

  it.each([
    // size, maxSurge, maxUnavailable, old servers out of rotation in the first pass, new servers asked for
    [4, 0, 1, 1, 0],
    [4, 0, 2, 2, 0],
    [4, 1, 1, 1, 1],
    [4, 2, 0, 0, 2],
    [4, '50%', '25%', 1, 2],
    [4, 0, '100%', 4, 0],
  ] as const)('a fleet of %i with maxSurge %s and maxUnavailable %s takes %i out of rotation and asks for %i new servers at first', (size, maxSurge, maxUnavailable, out, asked) => {
    const old = Array.from({ length: size }, (_, i) => v1(`o${i}`, i));
    const { plan, progress } = stepRolling(startedRolling({ maxSurge, maxUnavailable }, { minServers: size, maxServers: size }), old, T0 + 1);
    expect(plan.drainServers?.length ?? 0).toBe(out);
    expect(progress.newTarget).toBe(asked);
  });

  it('spreads new sessions over both builds in proportion to their servers in rotation', () => {
    let r = startedRolling({}, { minServers: 4, maxServers: 4 });
    const old = [v1('o0', 0), v1('o1', 1), v1('o2', 2), v1('o3', 3)];
    r = stepRolling(r, old, T0 + 1).next;
    r = stepRolling(r, old.slice(1), T0 + 2).next;
    const { plan, progress } = stepRolling(r, [...old.slice(1), v2('n1')], T0 + 3);
    expect(progress).toMatchObject({ batch: 2, inRotation: 1, oldInRotation: 2 });
    expect(plan.routing?.entries).toEqual([{ build: 'v1', weight: 67 }, { build: 'v2', weight: 33 }]);
  });

  it.each([
    [3, 0, 0], [3, 1, 25], [1, 1, 50], [0, 2, 100], [0, 0, null], [299, 1, 1], [1, 299, 99],
  ])('rollingWeight(%i old, %i new) = %s', (oldIn, newIn, weight) => {
    expect(rollingWeight(oldIn, newIn)).toBe(weight);
  });
});

describe('planRolling pauses', () => {
  it('pauses a batch whose new servers are not Ready in time, freezes it, and resumes on promote', () => {
    let r = stepRolling(startedRolling(), [v1('o1', 3), v1('o2', 1)], T0).next;
    r = stepRolling(r, [v1('o1', 3)], T0 + 1000).next;
    const servers = [v1('o1', 3), v2('n1', 0, 'Starting')];
    const waiting = stepRolling(r, servers, T0 + 2000);
    expect(waiting.progress.waitingSince).toBe(T0 + 2000);
    expect(stepRolling(waiting.next, servers, T0 + 62_000).next.phase).toBe('Progressing');
    const paused = stepRolling(waiting.next, servers, T0 + 62_001);
    expect(paused.next.phase).toBe('Paused');
    expect(paused.next.message).toBe('paused: batch 1/2: 0/1 servers of v2 Ready after 60s; fix the cause and promote to resume, or abort');
    expect(paused.progress.newTarget).toBe(0);
    expect(stepRolling(paused.next, servers, T0 + 70_000).plan.patch).toEqual({});
    const resumed = promoted(paused.next, T0 + 80_000);
    expect(resumed).toMatchObject({ phase: 'Progressing', promotedAt: T0 + 80_000 });
    const again = stepRolling(resumed, servers, T0 + 80_001);
    expect(again.progress).toMatchObject({ newTarget: 1, waitingSince: null });
    expect(stepRolling(again.next, servers, T0 + 81_000).progress.waitingSince).toBe(T0 + 81_000);
  });

  it('pauses after maxStartFailures failed starts of the new build, counting again after a resume', () => {
    const r = { ...startedRolling(), startFailures: 3, lastFailure: 'exit code 1 (log: /x.log)' };
    const paused = stepRolling(r, [v1('o1', 3), v1('o2', 1)], T0 + 1);
    expect(paused.next.phase).toBe('Paused');
    expect(paused.next.message).toContain('build v2 failed to start 3 times; last failure: exit code 1');
    expect(paused.plan.drainServers).toBeUndefined();
    const resumed = promoted(paused.next, T0 + 2);
    expect(stepRolling(resumed, [v1('o1', 3), v1('o2', 1)], T0 + 3).next.phase).toBe('Progressing');
    expect(stepRolling({ ...resumed, startFailures: 6 }, [v1('o1', 3), v1('o2', 1)], T0 + 3).next.phase).toBe('Paused');
  });

  it.each(['Progressing', 'Verifying', 'Completed'] as const)('refuses promote in %s with ROLLOUT_INVALID_PHASE', (phase) => {
    expect(() => planPromote({ ...startedRolling(), phase }, {}, T0)).toThrow(expect.objectContaining({ code: 'ROLLOUT_INVALID_PHASE' }));
  });
});

describe('planRolling smoke checks', () => {
  const smoke = { kind: 'http' as const, port: 'game', path: '/healthz', expectStatus: 200, timeoutSeconds: 5 };

  it('checks one new server of each batch before its servers take sessions and the next batch begins', () => {
    let r = stepRolling(startedRolling({ smoke }), [v1('o1', 3), v1('o2', 1)], T0).next;
    r = stepRolling(r, [v1('o1', 3)], T0 + 1).next;
    const verifying = stepRolling(r, [v1('o1', 3), v2('n1')], T0 + 2);
    expect(verifying.plan.smokeOn).toBe('n1');
    expect(verifying.next).toMatchObject({ phase: 'Verifying', smoke: { state: 'running', serverId: 'n1' } });
    expect(verifying.plan.routing).toBeNull();
    expect(verifying.plan.drainServers).toBeUndefined();
    const passed = { ...verifying.next, smoke: { state: 'passed' as const, serverId: 'n1', startedAt: T0 + 2, finishedAt: T0 + 3, detail: 'GET → 200' } };
    const next = stepRolling(passed, [v1('o1', 3), v2('n1')], T0 + 4);
    expect(next.next.phase).toBe('Progressing');
    expect(next.progress).toMatchObject({ batch: 2, verifiedBatch: 1, admitted: 1, inRotation: 1 });
    expect(next.plan.drainServers).toEqual([{ serverId: 'o1', reason: 'release' }]);
  });

  it('fails the release and routes new sessions back when a batch fails its smoke check', () => {
    const r = { ...startedRolling({ smoke }), phase: 'Verifying' as const, smoke: { state: 'failed' as const, serverId: 'n1', startedAt: T0, finishedAt: T0 + 1, detail: 'HTTP 500' } };
    const { plan, next } = stepRolling(r, [v1('o1', 3), v2('n1')], T0 + 2);
    expect(next).toMatchObject({ phase: 'Failed', failedAt: T0 + 2, message: 'smoke check failed on n1 (batch 1/2): HTTP 500' });
    expect(plan.routing?.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
  });
});

describe('planRolling drain deadline', () => {
  it('notifies an old server out of rotation at the lead time and migrates what is left at its deadline, never before the notice', () => {
    const drain = { deadlineSeconds: 100, noticeLeadSeconds: 30 };
    const r = stepRolling(startedRolling({ drain }), [v1('o1', 3), v1('o2', 1)], T0).next;
    const servers = [v1('o1', 3), v1('o2', 1, 'Draining')];
    expect(stepRolling(r, servers, T0 + 69_999).plan.notices).toEqual([]);
    const notice = stepRolling(r, servers, T0 + 70_000);
    expect(notice.plan.notices).toEqual([{ serverId: 'o2', notice: { type: 'drain', reason: 'release', deadline: T0 + 100_000, at: T0 + 70_000 } }]);
    expect(notice.plan.migrate).toEqual([]);
    expect(stepRolling(notice.next, servers, T0 + 99_999).plan.migrate).toEqual([]);
    const deadline = stepRolling(notice.next, servers, T0 + 100_000);
    expect(deadline.plan.migrate).toEqual(['o2']);
    expect(deadline.plan.notices).toEqual([]);
    expect(stepRolling(deadline.next, servers, T0 + 101_000).plan.migrate).toEqual([]);
    // A release paused for hours still announces before it closes anything.
    const late = stepRolling(r, servers, T0 + 500_000);
    expect(late.plan.notices.map((n) => n.serverId)).toEqual(['o2']);
    expect(late.plan.migrate).toEqual([]);
  });
});

describe('rolling roles and commands', () => {
  it('keeps each build at its target during the release, and retires the new build after an abort', () => {
    const routing = { entries: [{ build: 'v1', weight: 50 }, { build: 'v2', weight: 50 }] };
    const r = stepRolling(startedRolling(), [v1('o1', 3), v1('o2', 1)], T0).next;
    expect(Object.fromEntries(fleetRoles(routing, 600, r))).toEqual({ v1: { role: 'preview', target: 1 }, v2: { role: 'preview', target: 0 } });
    const aborted = { ...r, ...planAbort(r, [], T0 + 1).patch };
    const back = { entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }] };
    expect(Object.fromEntries(fleetRoles(back, 600, aborted))).toEqual({ v1: { role: 'routed', share: 1 }, v2: { role: 'retiring', idleSeconds: 0 } });
  });

  it('aborts in every running phase by routing new sessions back to the old build', () => {
    for (const phase of ['Progressing', 'Verifying', 'Paused'] as const) {
      const p = planAbort({ ...startedRolling(), phase, switchedAt: T0 }, [], T0 + 1);
      expect(p.routing?.entries).toEqual([{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }]);
      expect(p.patch.phase).toBe('Aborted');
    }
  });

  it('has not routed a session before a new server is in rotation', () => {
    const r = stepRolling(startedRolling(), [v1('o1', 3), v1('o2', 1)], T0).next;
    expect(rolling.hasRouted(r)).toBe(false);
  });

  it('does nothing for a finished release', () => {
    for (const phase of ['Completed', 'Aborted', 'Failed', 'Superseded'] as const) {
      expect(planRolling({ rollout: { ...startedRolling(), phase }, servers: [v1('o1', 1)], now: T0 })).toEqual({
        patch: {}, routing: null, smokeOn: null, notices: [], migrate: [], completeFleetWith: null,
      });
    }
  });

  it('starts with one batch per server replaced at a time', () => {
    expect(progressOf(startedRolling({}, { minServers: 3, maxServers: 8 }, 5))).toMatchObject({ batch: 1, batches: 5, batchSize: 1, oldTarget: 5 });
    expect(startedRolling({}, { minServers: 3, maxServers: 8 }, 5)).toMatchObject({ phase: 'Progressing', targetServers: 5 });
  });
});
