import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../core/events.js';
import { CloseReasons } from '../../session/model.js';
import { allocationObservations, customObservation, observationsOf } from './observe.js';

const ev = (kind: string, data: Record<string, unknown>): NewEvent => ({ at: 10_000, fleet: 'arena', kind, subject: 's1', message: '', data: { build: 'v2', ...data } });
type Row = [string, NewEvent, [metric: string, events: number, trials: number, unit?: string][]];

describe('observationsOf', () => {
  it.each<Row>([
    ['a started server is a start attempt and a server seen', ev('server.started', {}), [['start_failure_rate', 0, 1], ['crash_rate', 0, 0, 's1'], ['abnormal_exit_rate', 0, 0, 's1'], ['health_failure_rate', 0, 0, 's1']]],
    ['a failed spawn is a failed start', ev('server.start_failed', {}), [['start_failure_rate', 1, 1]]],
    ['a failed exit after Ready is a crash and an abnormal exit', ev('server.crashed', { code: 1, signal: null, starting: false }), [['abnormal_exit_rate', 1, 0, 's1'], ['crash_rate', 1, 0, 's1']]],
    ['a killed process is a crash', ev('server.crashed', { code: null, signal: 'SIGKILL', starting: false }), [['abnormal_exit_rate', 1, 0, 's1'], ['crash_rate', 1, 0, 's1']]],
    ['an unrequested exit with code 0 is abnormal but no crash', ev('server.crashed', { code: 0, signal: null, starting: false }), [['abnormal_exit_rate', 1, 0, 's1'], ['crash_rate', 0, 0, 's1']]],
    ['an exit before Ready is a failed start, not a crash', ev('server.crashed', { code: 1, signal: null, starting: true }), [['start_failure_rate', 1, 0]]],
    ['a requested stop says nothing about the build', ev('server.stopped', { code: null, signal: 'SIGKILL' }), []],
    ['a missed health deadline is a health failure', ev('server.unhealthy', {}), [['health_failure_rate', 1, 0, 's1']]],
    ['a session the game ended in error is an abnormal close', ev('session.closed', { reason: 'error', connectedAt: null }), [['abnormal_close_rate', 1, 1]]],
    ['a session lost to a crash is an abnormal close', ev('session.closed', { reason: 'server_crashed', connectedAt: null }), [['abnormal_close_rate', 1, 1]]],
    ['a session ended normally is a normal close', ev('session.closed', { reason: 'ended', connectedAt: null }), [['abnormal_close_rate', 0, 1]]],
    ['a release migration says nothing about the build', ev('session.closed', { reason: 'migrated', connectedAt: 1 }), []],
    ['an expired reservation says nothing about the build', ev('session.closed', { reason: 'expired', connectedAt: null }), []],
    ['an event without a build says nothing', { ...ev('server.crashed', {}), data: {} }, []],
    ['an unrelated event says nothing', ev('rollout.started', {}), []],
  ])('%s', (_name, event, expected) => {
    const got = observationsOf(event).map(({ observation: o }) => (o.kind === 'rate' ? [o.metric, o.events, o.trials, ...(o.unit === undefined ? [] : [o.unit])] : [o.metric]));
    expect(got).toEqual(expected);
  });

  it('measures a closed session from connect to close, in seconds', () => {
    const got = observationsOf(ev('session.closed', { reason: 'ended', connectedAt: 4_000 }));
    expect(got.map((o) => o.observation)).toContainEqual({ metric: 'session_length_seconds', at: 10_000, kind: 'value', value: 6 });
  });

  it('places every close reason the session model knows (a new one must be decided here)', () => {
    for (const reason of CloseReasons) expect(() => observationsOf(ev('session.closed', { reason, connectedAt: 1 }))).not.toThrow();
    const counted = CloseReasons.filter((reason) => observationsOf(ev('session.closed', { reason, connectedAt: 1 })).length > 0);
    expect(counted.sort()).toEqual(['disconnected', 'ended', 'error', 'roster', 'server_crashed']);
  });
});

describe('allocationObservations', () => {
  it('counts a placed allocation as a trial with its latency, and a refused one as a failure of every build it tried', () => {
    expect(allocationObservations(1, { build: 'v2', ms: 3 }).map((o) => o.observation)).toEqual([
      { metric: 'allocation_failure_rate', at: 1, kind: 'rate', events: 0, trials: 1 },
      { metric: 'allocation_latency_ms', at: 1, kind: 'value', value: 3 },
    ]);
    expect(allocationObservations(1, { tried: ['v1', 'v2'] }).map((o) => [o.build, o.observation.kind === 'rate' && o.observation.events])).toEqual([['v1', 1], ['v2', 1]]);
  });
});

describe('customObservation', () => {
  it.each([
    ['counter', { metric: 'custom.desyncs', at: 1, kind: 'count', unit: 'ses1', value: 2 }],
    ['gauge', { metric: 'custom.desyncs', at: 1, kind: 'value', value: 2 }],
    ['sample', { metric: 'custom.desyncs', at: 1, kind: 'value', value: 2 }],
  ] as const)('a %s becomes the right observation', (kind, expected) => {
    expect(customObservation(1, 'desyncs', 2, kind, 'ses1')).toEqual(expected);
  });
});
