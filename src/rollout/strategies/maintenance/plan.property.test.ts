/**
 * Property tests: the maintenance planner, with the roles it gives and the real fleet planner,
 * over random fleets, session sets, schedules and event orders (players coming and going,
 * servers becoming Ready or failing to start, the control plane missing passes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RoutingTable } from '../../../allocation/routing.js';
import { planFleet } from '../../../fleet/plan-fleet.js';
import { fleetRoles } from '../../roles.js';
import type { RolloutServer } from '../../strategy.js';
import { planMaintenance } from './plan.js';
import { after, MIN, rollout, spec, T0, type MaintenanceRollout } from './testing.js';

const SLOTS = 4;

type Event =
  | { kind: 'wait'; ms: number }
  | { kind: 'join' }
  | { kind: 'leave'; pick: number }
  | { kind: 'ready'; pick: number }
  | { kind: 'failStart'; pick: number };

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 0, max: 2 * MIN }), fc.integer({ min: 0, max: 30 * MIN })) }),
  fc.constant({ kind: 'join' as const }),
  fc.record({ kind: fc.constant('leave' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('ready' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('failStart' as const), pick: fc.nat() }),
);

const scenario = fc.record({
  sessions: fc.array(fc.nat(SLOTS), { minLength: 1, maxLength: 4 }),
  extraMax: fc.nat(2),
  leadSeconds: fc.integer({ min: 0, max: 600 }),
  durationSeconds: fc.integer({ min: 60, max: 1800 }),
  deadline: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
  events: fc.array(event, { maxLength: 60 }),
});

interface SimServer extends RolloutServer {
  createdAt: number;
  emptySince: number | null;
}

/** A fleet driven by the maintenance planner and the fleet planner, recording what players were told. */
class Sim {
  now = T0;
  r: MaintenanceRollout;
  routing: RoutingTable = { entries: [{ build: 'v1', weight: 100 }] };
  servers: SimServer[] = [];
  pass = 0;
  next = 0;
  readonly maxServers: number;
  /** Pass at which each server first got the maintenance notice, and its drain notice (pass, deadline). */
  readonly told = new Map<string, number>();
  readonly drained = new Map<string, { pass: number; deadline: number | null }>();
  closes = 0;

  constructor(sessions: number[], extraMax: number, s: ReturnType<typeof spec>) {
    this.maxServers = sessions.length + extraMax;
    for (const used of sessions) this.add('v1', used > 0 ? 'Active' : 'Ready', used);
    this.r = { ...rollout({ spec: s }, this.maxServers), targetServers: Math.min(this.maxServers, Math.max(1, sessions.length)) };
  }

  add(build: string, state: SimServer['state'], used = 0): void {
    this.servers.push({ id: `s${this.next++}`, build, state, used, createdAt: this.now, emptySince: state === 'Starting' || used > 0 ? null : this.now });
  }

  apply(e: Event): void {
    const pick = <T>(list: T[], n: number): T | undefined => list[n % Math.max(1, list.length)];
    if (e.kind === 'wait') this.now += e.ms;
    else if (e.kind === 'join') this.join();
    else if (e.kind === 'leave') {
      const s = pick(this.servers.filter((x) => x.used > 0), e.pick);
      if (s) this.setUsed(s, s.used - 1);
    } else {
      const s = pick(this.servers.filter((x) => x.state === 'Starting'), e.pick);
      if (!s) return;
      if (e.kind === 'ready') Object.assign(s, { state: 'Ready', emptySince: this.now });
      else {
        this.servers = this.servers.filter((x) => x !== s);
        // What the reconcile coordinator records for a failed start of the release's build.
        if (s.build === this.r.toBuild) this.r = { ...this.r, startFailures: this.r.startFailures + 1 };
      }
    }
  }

  join(): void {
    if (this.routing.closed) return;
    const routed = new Set(this.routing.entries.filter((e) => e.weight > 0).map((e) => e.build));
    const s = this.servers.find((x) => routed.has(x.build) && (x.state === 'Ready' || x.state === 'Active') && x.used < SLOTS);
    if (s) this.setUsed(s, s.used + 1);
  }

  setUsed(s: SimServer, used: number): void {
    Object.assign(s, { used, state: used > 0 ? 'Active' : 'Ready', emptySince: used > 0 ? null : (s.emptySince ?? this.now) });
  }

  /** One reconcile pass: the release's plan, checked, applied; then the fleet planner's. */
  step(): void {
    this.pass++;
    const plan = planMaintenance({ rollout: this.r, servers: this.servers.map((s) => ({ ...s })), now: this.now });
    expect(plan.migrate).toEqual([]);
    if (plan.closeSessions) {
      expect(plan.closeSessions.reason).toBe('maintenance');
      expect(this.r.spec.sessionDeadlineSeconds).not.toBeNull();
      for (const id of plan.closeSessions.serverIds) {
        // Told of the maintenance, and of the deadline, in an earlier pass; the deadline has come.
        expect(this.told.get(id), `maintenance notice to ${id} before its sessions close`).toBeLessThan(this.pass);
        const drain = this.drained.get(id);
        expect(drain?.pass, `drain notice to ${id} before its sessions close`).toBeLessThan(this.pass);
        expect(this.now).toBeGreaterThanOrEqual(drain?.deadline ?? Infinity);
      }
    }
    for (const { serverId, notice } of plan.notices) {
      if (notice.type === 'maintenance' && notice.startsAt !== null && !this.told.has(serverId)) this.told.set(serverId, this.pass);
      if (notice.type === 'drain') this.drained.set(serverId, { pass: this.pass, deadline: notice.deadline });
    }
    for (const id of plan.closeSessions?.serverIds ?? []) {
      const s = this.servers.find((x) => x.id === id);
      if (s) {
        this.closes += s.used;
        this.setUsed(s, 0);
      }
    }
    this.r = after(this.r, plan);
    this.routing = plan.routing ?? this.routing;
    expect(this.routing.closed !== undefined, `closed routing in phase ${this.r.phase}`).toBe(this.r.phase === 'Progressing');
    this.fleetPass();
  }

  fleetPass(): void {
    const actions = planFleet({
      capacity: { minServers: 1, maxServers: this.maxServers, bufferServers: 1, idleTimeoutSeconds: 600 },
      health: { timeoutSeconds: 1e6, startTimeoutSeconds: 1e6 },
      servers: this.servers.map((s) => ({ ...s, roster: 0, unverified: false, lastHealthAt: this.now, stopRequestedAt: null })),
      roles: fleetRoles(this.routing, 600, this.r),
      startNotBefore: new Map(),
      observingSince: T0,
      now: this.now,
    });
    for (const a of actions) {
      if (a.kind === 'stop') {
        const s = this.servers.find((x) => x.id === a.serverId);
        expect(s?.used, `sessions on ${a.serverId} when it is stopped (${a.reason})`).toBe(0);
        this.servers = this.servers.filter((x) => x.id !== a.serverId);
      } else if (a.kind === 'start') {
        for (let i = 0; i < a.count; i++) this.add(a.build, 'Starting');
      }
    }
    if (this.r.phase === 'Progressing') {
      // In place: the window never runs more servers than the fleet may have.
      expect(this.servers.length).toBeLessThanOrEqual(this.maxServers);
    }
  }
}

describe('planMaintenance over random fleets and event orders', () => {
  it('closes sessions only as maintenance, on servers told of it and of the deadline beforehand, never stops a busy server, and finishes', () => {
    fc.assert(
      fc.property(scenario, ({ sessions, extraMax, leadSeconds, durationSeconds, deadline, events }) => {
        const s = spec({ startsAt: T0 + leadSeconds * 1000 + MIN, noticeLeadSeconds: leadSeconds, durationSeconds, sessionDeadlineSeconds: deadline });
        const sim = new Sim(sessions, extraMax, s);
        for (const e of events) {
          sim.apply(e);
          sim.step();
        }
        // Then time runs on: every server that starts becomes Ready, players without a deadline leave.
        for (let i = 0; i < 40 && !['Completed', 'Failed'].includes(sim.r.phase); i++) {
          sim.apply({ kind: 'wait', ms: MIN });
          for (const x of sim.servers) if (x.state === 'Starting') Object.assign(x, { state: 'Ready', emptySince: sim.now });
          if (deadline === null && sim.now > s.startsAt) for (const x of sim.servers.filter((y) => y.build === 'v1')) sim.setUsed(x, 0);
          sim.step();
        }
        expect(['Completed', 'Failed']).toContain(sim.r.phase);
        if (sim.r.phase === 'Completed') {
          expect(sim.routing).toEqual({ entries: [{ build: 'v2', weight: 100 }] });
          expect(sim.servers.filter((x) => x.build === 'v1')).toEqual([]);
        }
        if (deadline === null) expect(sim.closes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
