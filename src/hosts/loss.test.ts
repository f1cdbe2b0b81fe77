import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { liveness, planHostLoss, planRejoin, silentMs, type LossAction, type LossHost, type LossInput, type LossServer } from './loss.js';

const HB = 10_000;
const LOST = 300_000;
const T0 = 1_000_000;

function input(over: Partial<LossInput>): LossInput {
  return { hosts: [], servers: [], sessions: [], announced: new Set(), now: T0, observingSince: 0, heartbeatTimeoutMs: HB, lostTimeoutMs: LOST, ...over };
}

const host = (id: string, silent: number, alwaysAlive = false, agentLeft = false): LossHost => ({ id, lastHeartbeatAt: T0 - silent, alwaysAlive, agentLeft });
const server = (id: string, hostId: string, over: Partial<LossServer> = {}): LossServer => ({ id, host: hostId, terminal: false, fenced: false, stopRequested: false, ...over });

describe('liveness', () => {
  it.each<[string, number, number, ReturnType<typeof liveness>]>([
    ['a host heard from just now', 0, 0, 'alive'],
    ['a host silent exactly the heartbeat timeout', HB, 0, 'alive'],
    ['a host silent one ms past the heartbeat timeout', HB + 1, 0, 'unreachable'],
    ['a host silent exactly the lost timeout', LOST, 0, 'unreachable'],
    ['a host silent past the lost timeout', LOST + 1, 0, 'lost'],
    // The control plane (re)started 5 s ago: it has heard nothing for 5 s, not for an hour.
    ['a host last heard an hour before the control plane started 5 s ago', 3_600_000, T0 - 5_000, 'alive'],
    ['a host last heard an hour before the control plane started 11 s ago', 3_600_000, T0 - 11_000, 'unreachable'],
  ])('%s is %s', (_what, silent, observingSince, expected) => {
    expect(liveness(host('h', silent), T0, observingSince, HB, LOST)).toBe(expected);
  });

  it.each<[number, ReturnType<typeof liveness>]>([
    [HB + 1, 'alive'],
    [LOST, 'alive'],
    [LOST + 1, 'lost'],
  ])('a host whose agent exited (its side closed the connection) silent for %i ms is %s: an agent restart fences nothing', (silent, expected) => {
    expect(liveness(host('h', silent, false, true), T0, 0, HB, LOST)).toBe(expected);
  });

  it('never counts the control plane\'s own host as silent', () => {
    expect(silentMs(host('local', 10 * LOST, true), T0, 0)).toBe(0);
    expect(liveness(host('local', 10 * LOST, true), T0, 0, HB, LOST)).toBe('alive');
  });
});

describe('planHostLoss', () => {
  it.each<[string, Partial<LossInput>, LossAction[]]>([
    ['does nothing while every host is heard from', { hosts: [host('a', 1_000)], servers: [server('s1', 'a')], sessions: [{ id: 'x', server: 's1' }] }, []],
    [
      'records an Unreachable host once and fences its servers, keeping their sessions open',
      { hosts: [host('a', HB + 1), host('b', 0)], servers: [server('s1', 'a'), server('s2', 'b')], sessions: [{ id: 'x', server: 's1' }] },
      [{ kind: 'unreachable', hostId: 'a', silentMs: HB + 1 }, { kind: 'fence', serverId: 's1', hostId: 'a' }],
    ],
    [
      'does not record the same outage twice, nor fence a fenced server again',
      { hosts: [host('a', HB + 1)], servers: [server('s1', 'a', { fenced: true })], announced: new Set(['a']) },
      [],
    ],
    [
      'leaves a server whose stop was already asked, and a terminal one, unfenced',
      { hosts: [host('a', HB + 1)], servers: [server('s1', 'a', { stopRequested: true }), server('s2', 'a', { terminal: true })], announced: new Set(['a']) },
      [],
    ],
    [
      'closes the sessions of a lost host as host_lost, on fenced and stopping servers alike',
      {
        hosts: [host('a', LOST + 1)], announced: new Set(['a']),
        servers: [server('s1', 'a', { fenced: true }), server('s2', 'a', { stopRequested: true })],
        sessions: [{ id: 'x', server: 's1' }, { id: 'y', server: 's2' }],
      },
      [{ kind: 'host-lost', sessionId: 'x', serverId: 's1', hostId: 'a' }, { kind: 'host-lost', sessionId: 'y', serverId: 's2', hostId: 'a' }],
    ],
    [
      'never touches the control plane\'s own host',
      { hosts: [host('local', LOST * 2, true)], servers: [server('s1', 'local')], sessions: [{ id: 'x', server: 's1' }] },
      [],
    ],
  ])('%s', (_what, over, expected) => {
    expect(planHostLoss(input(over))).toEqual(expected);
  });
});

describe('planRejoin (the fencing rule)', () => {
  it.each<[string, Parameters<typeof planRejoin>[0], string[], ReturnType<typeof planRejoin>]>([
    ['a host that was never fenced: nothing to do', [{ id: 's1', fenced: false, stopRequested: false }], ['s1'], { drain: [], stopAgain: [], reconcile: [] }],
    ['a fenced server the host still runs drains and is reconciled with its roster', [{ id: 's1', fenced: true, stopRequested: false }], ['s1'], { drain: ['s1'], stopAgain: [], reconcile: ['s1'] }],
    ['a fenced server whose stop could not be delivered is stopped again', [{ id: 's1', fenced: true, stopRequested: true }], ['s1'], { drain: [], stopAgain: ['s1'], reconcile: ['s1'] }],
    ['a server the host no longer runs is left to the runtime (an exit)', [{ id: 's1', fenced: true, stopRequested: false }], [], { drain: [], stopAgain: [], reconcile: [] }],
  ])('%s', (_what, known, reported, expected) => {
    expect(planRejoin(known, reported)).toEqual(expected);
  });
});

describe('host loss properties', () => {
  const world = fc.record({
    hosts: fc.array(fc.record({ silent: fc.integer({ min: 0, max: 2 * LOST }), alwaysAlive: fc.boolean(), agentLeft: fc.boolean() }), { minLength: 1, maxLength: 5 }),
    servers: fc.array(fc.record({ host: fc.nat(4), terminal: fc.boolean(), fenced: fc.boolean(), stopRequested: fc.boolean() }), { maxLength: 12 }),
    sessions: fc.array(fc.nat(11), { maxLength: 20 }),
    observedFor: fc.integer({ min: 0, max: 2 * LOST }),
  }).map((w): LossInput => {
    const hosts = w.hosts.map((h, i) => host(`h${i}`, h.silent, h.alwaysAlive, h.agentLeft));
    const servers = w.servers.map(({ host: n, ...flags }, i) => server(`s${i}`, `h${n % hosts.length}`, flags));
    const sessions = w.sessions.filter((n) => n < servers.length).map((n, i) => ({ id: `x${i}`, server: `s${n}` }));
    return input({ hosts, servers, sessions, observingSince: T0 - w.observedFor });
  });

  it('never fences a server nor closes a session on a host heard from within the heartbeat timeout (observed time), nor on one whose agent exited before the lost timeout', () => {
    fc.assert(fc.property(world, (w) => {
      const silent = (h: LossHost): number => silentMs(h, w.now, w.observingSince);
      const alive = new Set(w.hosts.filter((h) => silent(h) <= HB || (h.agentLeft === true && silent(h) <= LOST)).map((h) => h.id));
      for (const a of planHostLoss(w)) expect(alive.has(a.hostId)).toBe(false);
    }));
  });

  it('never closes a session before its host has been silent past the lost timeout', () => {
    fc.assert(fc.property(world, (w) => {
      for (const a of planHostLoss(w)) {
        if (a.kind !== 'host-lost') continue;
        const h = w.hosts.find((x) => x.id === a.hostId);
        expect(h && silentMs(h, w.now, w.observingSince) > LOST).toBe(true);
      }
    }));
  });

  it('fences every running server of an Unreachable host, and a second pass after applying the first finds nothing to do', () => {
    fc.assert(fc.property(world, (w) => {
      const actions = planHostLoss(w);
      const fenced = new Set(actions.flatMap((a) => (a.kind === 'fence' ? [a.serverId] : [])));
      const down = new Set(w.hosts.filter((h) => silentMs(h, w.now, w.observingSince) > (h.agentLeft === true ? LOST : HB)).map((h) => h.id));
      for (const s of w.servers) {
        if (down.has(s.host) && !s.terminal && !s.fenced && !s.stopRequested) expect(fenced.has(s.id)).toBe(true);
      }
      const closed = new Set(actions.flatMap((a) => (a.kind === 'host-lost' ? [a.sessionId] : [])));
      const announced = new Set([...w.announced, ...actions.flatMap((a) => (a.kind === 'unreachable' ? [a.hostId] : []))]);
      const after: LossInput = {
        ...w, announced,
        servers: w.servers.map((s) => (fenced.has(s.id) ? { ...s, fenced: true } : s)),
        sessions: w.sessions.filter((s) => !closed.has(s.id)),
      };
      expect(planHostLoss(after)).toEqual([]);
    }));
  });
});
