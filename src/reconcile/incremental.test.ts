import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planFleet, type BuildRole, type FleetAction, type FleetObservation, type ServerObservation } from '../fleet/plan-fleet.js';
import type { ServerState } from '../fleet/model.js';
import type { FleetMemo} from './incremental.js';
import { planIncrementally, rolesKey } from './incremental.js';

/**
 * A fleet as the reconciler sees it, changed the way the control plane changes it: every change
 * but a health ping on a healthy server is reported as touched (as `World` and `Rosters` do),
 * and the plan's actions are carried out or not (a stop the service refuses, a start that fails).
 */
interface Model {
  servers: Map<string, ServerObservation>;
  touched: Set<string>;
  spec: { capacity: FleetObservation['capacity']; health: FleetObservation['health'] };
  roles: Map<string, BuildRole>;
  observingSince: number;
  now: number;
  next: number;
  memo: FleetMemo | undefined;
}

const STATES: ServerState[] = ['Starting', 'Ready', 'Active', 'Draining', 'Unhealthy'];
const ROLE_SETS: Record<string, BuildRole>[] = [
  { v1: { role: 'routed', share: 1 } },
  { v2: { role: 'routed', share: 1 }, v1: { role: 'retiring', idleSeconds: 20 } },
  { v1: { role: 'routed', share: 0.5 }, v2: { role: 'routed', share: 0.5 } },
  { v1: { role: 'routed', share: 1 }, v2: { role: 'preview', target: 3 } },
  { v2: { role: 'routed', share: 1, cap: 4 } },
];

type Change =
  | { kind: 'time'; ms: number }
  | { kind: 'state'; pick: number; state: ServerState }
  | { kind: 'used'; pick: number; used: number }
  | { kind: 'roster'; pick: number; roster: number; unverified: boolean }
  | { kind: 'ping'; pick: number }
  | { kind: 'add'; build: string; state: ServerState }
  | { kind: 'remove'; pick: number }
  | { kind: 'roles'; set: number }
  | { kind: 'spec'; min: number; buffer: number; idle: number }
  | { kind: 'stall' }
  | { kind: 'pass'; carryOut: boolean; sweep: boolean };

const change: fc.Arbitrary<Change> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 25_000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('state' as const), pick: fc.nat(), state: fc.constantFrom(...STATES) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('used' as const), pick: fc.nat(), used: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('roster' as const), pick: fc.nat(), roster: fc.integer({ min: 0, max: 2 }), unverified: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('ping' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), build: fc.constantFrom('v1', 'v2'), state: fc.constantFrom(...STATES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('roles' as const), set: fc.integer({ min: 0, max: ROLE_SETS.length - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('spec' as const), min: fc.integer({ min: 0, max: 6 }), buffer: fc.integer({ min: 0, max: 2 }), idle: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stall' as const) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('pass' as const), carryOut: fc.boolean(), sweep: fc.boolean() }) },
);

function model(initial: number): Model {
  const m: Model = {
    servers: new Map(), touched: new Set(), roles: new Map(Object.entries(ROLE_SETS[0] ?? {})), observingSince: 0, now: 100_000, next: 0, memo: undefined,
    spec: { capacity: { minServers: 3, maxServers: 12, bufferServers: 1, idleTimeoutSeconds: 30 }, health: { timeoutSeconds: 15, startTimeoutSeconds: 20 } },
  };
  for (let i = 0; i < initial; i++) add(m, i % 3 === 0 ? 'v2' : 'v1', i % 4 === 0 ? 'Active' : 'Ready');
  return m;
}

function add(m: Model, build: string, state: ServerState): void {
  const id = `s${m.next++}`;
  m.servers.set(id, {
    id, build, state, used: state === 'Active' ? 1 : 0, roster: 0, unverified: false, createdAt: m.now,
    lastHealthAt: state === 'Starting' ? null : m.now, emptySince: state === 'Active' ? null : m.now, stopRequestedAt: null,
  });
  m.touched.add(id);
}

function pick(m: Model, n: number): ServerObservation | undefined {
  const ids = [...m.servers.keys()];
  return ids.length === 0 ? undefined : m.servers.get(ids[n % ids.length] ?? '');
}

/** A change to a server, as `World.putServer` records it: a new record, touched. */
function put(m: Model, s: ServerObservation, over: Partial<ServerObservation>): void {
  const next = { ...s, ...over };
  // The session service keeps emptySince with the occupancy, as the real one does.
  if (Math.max(next.used, next.roster) > 0) next.emptySince = null;
  else if (next.emptySince === null) next.emptySince = m.now;
  m.servers.set(s.id, next);
  m.touched.add(s.id);
}

function sorted(actions: readonly FleetAction[]): string[] {
  return actions.map((a) => JSON.stringify(a)).sort();
}

/** Runs one pass both ways; returns the two plans. */
function pass(m: Model, sweep: boolean): { incremental: string[]; whole: string[] } {
  const obs = { ...m.spec, roles: m.roles, startNotBefore: new Map<string, number>(), observingSince: m.observingSince, now: m.now };
  const whole = planFleet({ ...obs, servers: [...m.servers.values()] });
  const r = planIncrementally({
    memo: m.memo, basis: { spec: m.spec, roles: rolesKey(m.roles), observingSince: m.observingSince }, touched: m.touched, whole: sweep, obs,
    observe: (id) => m.servers.get(id), observeAll: () => [...m.servers.values()],
  });
  m.touched = new Set();
  m.memo = r.memo;
  return { incremental: sorted(r.actions), whole: sorted(whole) };
}

function carryOut(m: Model, actions: readonly string[]): void {
  for (const text of actions) {
    const a = JSON.parse(text) as FleetAction;
    if (a.kind === 'start') for (let i = 0; i < a.count; i++) add(m, a.build, 'Starting');
    else {
      const s = m.servers.get(a.serverId);
      if (!s) continue;
      if (a.kind === 'health') put(m, s, { state: a.healthy ? (s.used > 0 ? 'Active' : 'Ready') : 'Unhealthy' });
      else put(m, s, { state: 'Draining', stopRequestedAt: m.now });
    }
  }
}

function step(m: Model, c: Change): void {
  const s = 'pick' in c ? pick(m, c.pick) : undefined;
  switch (c.kind) {
    case 'time': m.now += c.ms; break;
    case 'state': if (s) put(m, s, { state: c.state, lastHealthAt: c.state === 'Starting' ? s.lastHealthAt : m.now }); break;
    case 'used': if (s) put(m, s, { used: c.used }); break;
    case 'roster': if (s) put(m, s, { roster: c.roster, unverified: c.unverified }); break;
    case 'ping':
      // Kept in memory without a record change (ServerService.health): touched only if Unhealthy.
      if (s && s.state !== 'Starting') {
        s.lastHealthAt = m.now;
        if (s.state === 'Unhealthy') m.touched.add(s.id);
      }
      break;
    case 'add': add(m, c.build, c.state); break;
    case 'remove': if (s) { m.servers.delete(s.id); m.touched.add(s.id); } break;
    case 'roles': m.roles = new Map(Object.entries(ROLE_SETS[c.set] ?? {})); break;
    case 'spec': m.spec = { ...m.spec, capacity: { ...m.spec.capacity, minServers: c.min, bufferServers: c.buffer, idleTimeoutSeconds: c.idle } }; break;
    case 'stall': m.observingSince = m.now; break;
    case 'pass': break;
  }
}

describe('incremental reconciliation', () => {
  it('plans exactly what a plan of the whole fleet plans, over random change sequences', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.array(change, { minLength: 1, maxLength: 120 }), (initial, changes) => {
        const m = model(initial);
        pass(m, false);
        for (const c of changes) {
          step(m, c);
          if (c.kind !== 'pass') continue;
          const { incremental, whole } = pass(m, c.sweep && c.carryOut);
          expect(incremental).toEqual(whole);
          if (c.carryOut) carryOut(m, whole);
        }
        // Whatever happened, a last pass after a long quiet agrees too.
        m.now += 120_000;
        const { incremental, whole } = pass(m, false);
        expect(incremental).toEqual(whole);
      }),
      { numRuns: 1500 },
    );
  });

  // Cases a random search reaches only rarely, spelled out.
  it.each<[string, Change[]]>([
    ['a scale-down picks among idle servers the pass did not list', [
      { kind: 'spec', min: 3, buffer: 1, idle: 30 }, { kind: 'pass', carryOut: true, sweep: false },
      { kind: 'time', ms: 10_000 }, { kind: 'pass', carryOut: true, sweep: false }, { kind: 'ping', pick: 0 }, { kind: 'ping', pick: 1 }, { kind: 'ping', pick: 2 },
      { kind: 'time', ms: 10_000 }, { kind: 'pass', carryOut: true, sweep: false }, { kind: 'ping', pick: 0 }, { kind: 'ping', pick: 1 }, { kind: 'ping', pick: 2 },
      { kind: 'time', ms: 11_000 }, { kind: 'pass', carryOut: true, sweep: false },
      { kind: 'add', build: 'v1', state: 'Ready' }, { kind: 'pass', carryOut: true, sweep: false },
    ]],
    ['a ping brings an Unhealthy server back although nothing else changed', [
      { kind: 'time', ms: 15_001 }, { kind: 'pass', carryOut: true, sweep: false }, { kind: 'pass', carryOut: false, sweep: false },
      { kind: 'ping', pick: 0 }, { kind: 'pass', carryOut: false, sweep: false },
    ]],
  ])('agrees with a whole plan when %s', (_case, changes) => {
    const m = model(changes[0]?.kind === 'spec' ? 0 : 1);
    if (changes[0]?.kind === 'spec') {
      for (let i = 0; i < 3; i++) add(m, 'v1', 'Ready');
    }
    pass(m, false);
    let acted = 0;
    for (const c of changes) {
      step(m, c);
      if (c.kind !== 'pass') continue;
      const { incremental, whole } = pass(m, c.sweep);
      expect(incremental).toEqual(whole);
      acted += whole.filter((a) => !a.includes('"start"')).length;
      if (c.carryOut) carryOut(m, whole);
    }
    // The case did reach a decision about a server (or it would test nothing).
    expect(acted).toBeGreaterThan(0);
  });

  it('plans only the servers that changed or reached a deadline once it has a memo', () => {
    const m = model(8);
    pass(m, false);
    const memo = m.memo;
    expect(memo).toBeDefined();
    const s = pick(m, 3);
    if (!s || !memo) throw new Error('no server');
    put(m, s, { used: 2 });
    // Within every deadline: only the touched server is taken.
    expect([...memo.take(m.touched, m.now + 1)]).toEqual([s.id]);
  });

  it('plans the whole fleet again when its roles change', () => {
    const m = model(4);
    const first = planIncrementally({
      memo: undefined, basis: { spec: m.spec, roles: rolesKey(m.roles), observingSince: 0 }, touched: [], whole: false,
      obs: { ...m.spec, roles: m.roles, startNotBefore: new Map(), observingSince: 0, now: m.now },
      observe: (id) => m.servers.get(id), observeAll: () => [...m.servers.values()],
    });
    const roles = new Map(Object.entries(ROLE_SETS[1] ?? {}));
    const second = planIncrementally({
      memo: first.memo, basis: { spec: m.spec, roles: rolesKey(roles), observingSince: 0 }, touched: [], whole: false,
      obs: { ...m.spec, roles, startNotBefore: new Map(), observingSince: 0, now: m.now },
      observe: (id) => m.servers.get(id), observeAll: () => [...m.servers.values()],
    });
    expect(second.whole).toBe(true);
  });
});
