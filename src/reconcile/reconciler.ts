/**
 * The reconcile loop: the coordinator above the fleet, rollout and session domains (none of
 * which calls another). Each pass over a fleet is an ordered list of idempotent steps on one
 * observation: expire unused reservations → advance the rollout → plan servers → apply.
 * Passes never overlap; a crash between any two steps is harmless because the next pass
 * re-observes and re-plans from whatever was committed.
 *
 * The reconciler also watches its own liveness (`StallDetector`): after a pause of the process,
 * deadlines restart from the end of the pause instead of blaming every server for it.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { StallDetector } from '../core/stall-detector.js';
import { fleetRoles } from '../rollout/roles.js';
import type { RolloutService } from '../rollout/service.js';
import type { SessionService } from '../session/service.js';
import { event, type Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import type { GameServer } from '../fleet/model.js';
import type { BuildRole, FleetAction, ServerObservation } from '../fleet/plan-fleet.js';
import type { FleetMemo} from './incremental.js';
import { chooseFirstPlans, DefaultFirstPlanBudget, type WaitingFleet } from './first-plans.js';
import { nextSweepSlice, startSweep, type SweepCursor } from './sweep.js';
import { planIncrementally, rolesKey } from './incremental.js';
import type { ServerService } from '../fleet/servers.js';

export interface ReconcilerOptions {
  intervalMs: number;
  onError: (e: unknown) => void;
  /** How late the control plane's own heartbeat must be to count as a stall. Default 1000 ms. */
  stallThresholdMs?: number;
  /** Told of each stall of the control plane itself (e.g. to log it). */
  onStall?: (gapMs: number) => void;
  /** Adds roles from above the fleet (an environment's warm servers of a staged build). */
  adjustRoles?: (fleet: string, roles: Map<string, BuildRole>) => Map<string, BuildRole>;
  /**
   * Plan only the servers that changed or reached a deadline (src/reconcile/incremental.ts).
   * Default true; false plans every server of every fleet on every pass.
   */
  incremental?: boolean;
  /**
   * How old a fleet's last whole plan (or completed sweep) may get before a sweep re-plans every
   * one of its servers again, as a safety net (sweep.ts). Default 30 s.
   */
  fullSweepMs?: number;
  /** Servers a sweep takes per pass, so no pass plans a large fleet whole. Default 1,000. */
  sweepSlice?: number;
  /**
   * Servers of fleets with no memo yet (after a restart, or new) a pass plans whole; the other
   * such fleets wait for a later pass (first-plans.ts). Default 10,000.
   */
  firstPlanBudget?: number;
}

export class FleetReconciler {
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /** A kicked pass is already queued: later kicks before it runs ride on it. */
  private kickQueued = false;
  private stopped = true;
  private readonly inflight = new Set<Promise<unknown>>();
  private nextIdempotencySweep = 0;
  private readonly stalls: StallDetector;
  /** `passNow({ whole: true })`: the bench's anchor, every fleet planned whole. */
  private wholeNext = false;
  /** The fleet being swept (one at a time) and where its sweep stands. */
  private sweep: { fleet: string; cursor: SweepCursor } | null = null;
  /** Per fleet: when its last sweep ended. */
  private readonly sweptAt = new Map<string, number>();
  /** Per fleet: what its last plan left for the next one to rely on. */
  private readonly memos = new Map<string, FleetMemo>();
  /** Fleets with no memo yet, and since when they wait for their first plan. */
  private waitingSince = new Map<string, number>();

  constructor(
    private readonly ctx: Ctx,
    private readonly clock: Clock,
    private readonly servers: ServerService,
    private readonly sessions: SessionService,
    private readonly rollouts: RolloutService,
    private readonly opts: ReconcilerOptions,
  ) {
    const onStall = opts.onStall;
    this.stalls = new StallDetector(clock, { thresholdMs: opts.stallThresholdMs ?? 1_000, ...(onStall ? { onStall } : {}) });
  }

  start(): void {
    this.stopped = false;
    // Observation starts now: servers adopted after a restart get a full window from here.
    this.stalls.start();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stalls.stop();
    if (this.timer) this.clock.clearTimeout(this.timer);
    await this.running;
    await Promise.allSettled([...this.inflight]);
  }

  /** Ask for a pass as soon as possible (after an event that may change decisions). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else if (!this.kickQueued) {
      // Without this, a burst of N events (N servers reporting Ready in one commit) queued N
      // passes, each finishing before the next began: N full passes instead of one.
      this.kickQueued = true;
      setImmediate(() => {
        this.kickQueued = false;
        void this.runPass();
      });
    }
  }

  /**
   * Runs one pass now (or waits for the one running) and resolves when it has committed: how the
   * scale bench times a pass on a fake clock. The regular schedule carries on afterwards.
   */
  async passNow(opts: { whole?: boolean } = {}): Promise<void> {
    if (this.running) await this.running;
    this.wholeNext = opts.whole === true;
    try {
      await this.runPass();
    } finally {
      this.wholeNext = false;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => void this.runPass(), ms);
  }

  private async runPass(): Promise<void> {
    // A kick queued before stop() must not start servers during shutdown. Nor does a pass run
    // while sessions still load after a cold start: it would plan over some of them (the control
    // plane starts the schedule once they are all in).
    if (this.stopped || this.ctx.world.sessionsLoading) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const pass = (async () => {
      do {
        this.again = false;
        await this.expireReservations();
        await this.expireIdempotency();
        const sweep = this.sweepTarget(this.clock.now());
        const first = this.firstPlans(this.clock.now());
        for (const name of [...this.ctx.world.fleets.keys()]) {
          if (!first.has(name) && !this.memos.has(name)) continue;
          try {
            await this.passFleet(name, this.wholeNext, name === sweep ? this.sweepSlice(name) : []);
          } catch (e) {
            this.opts.onError(e);
          }
        }
      } while (this.again && !this.stopped);
    })();
    this.running = pass;
    try {
      await pass;
    } finally {
      this.running = null;
      this.schedule(this.opts.intervalMs);
    }
  }

  private async passFleet(name: string, whole: boolean, sweepSlice: readonly string[]): Promise<void> {
    // `now` first: a pause between the two reads then only moves the window later, never earlier.
    const now = this.clock.now();
    const observingSince = this.stalls.observingSince();
    const mutations: Mutation[] = [];
    mutations.push(...this.rollouts.reconcile(name, now));
    const fleet = this.ctx.world.fleets.get(name);
    if (!fleet) {
      this.memos.delete(name);
      return;
    }
    const base = fleetRoles(fleet.routing, fleet.capacity.idleTimeoutSeconds, this.ctx.world.latestRolloutOf(name) ?? null);
    const roles = this.opts.adjustRoles ? this.opts.adjustRoles(name, base) : base;
    // Taken after the rollout step, whose changes this plan must see.
    const touched = this.ctx.world.takeTouched(name);
    // This pass's slice of a sweep is planned as if it had changed.
    for (const id of sweepSlice) touched.add(id);
    const { actions, memo } = planIncrementally({
      memo: this.memos.get(name),
      basis: { spec: fleet, roles: rolesKey(roles), observingSince },
      touched,
      whole: whole || this.opts.incremental === false,
      obs: { capacity: fleet.capacity, health: fleet.health, roles, startNotBefore: this.servers.startNotBefore(name), observingSince, now },
      observe: (id) => {
        const s = this.ctx.world.servers.get(id);
        return s && s.fleet === name ? this.observe(s) : undefined;
      },
      observeAll: () => this.ctx.world.fleetServers(name).map((s) => this.observe(s)),
    });
    this.memos.set(name, memo);
    for (const a of actions) mutations.push(...this.apply(name, a, now));
    if (mutations.length > 0) await this.ctx.persister.persist(mutations);
  }

  private observe(s: GameServer): ServerObservation {
    return {
      id: s.id, build: s.build, state: s.state, used: this.ctx.world.used(s.id),
      roster: this.sessions.rosters.size(s.id), unverified: this.sessions.rosters.isUnverified(s.id), createdAt: s.createdAt,
      lastHealthAt: s.lastHealthAt, emptySince: s.emptySince, stopRequestedAt: s.stopRequestedAt,
    };
  }

  /**
   * The fleet this pass sweeps a slice of: the one being swept, or else the one planned whole or
   * swept longest ago, once that is `fullSweepMs` old. One fleet and one slice per pass, so the
   * sweep never makes a pass as slow as a full scan of a fleet.
   */
  private sweepTarget(now: number): string | null {
    if (this.sweep && this.ctx.world.fleets.has(this.sweep.fleet)) return this.sweep.fleet;
    this.sweep = null;
    let oldest: string | null = null;
    let at = Infinity;
    for (const [name, memo] of this.memos) {
      // A deleted fleet's memo would stay the oldest for ever and no other fleet would be swept.
      if (!this.ctx.world.fleets.has(name)) {
        this.memos.delete(name);
        this.sweptAt.delete(name);
        continue;
      }
      const last = Math.max(memo.plannedAt, this.sweptAt.get(name) ?? -Infinity);
      if (last < at) {
        at = last;
        oldest = name;
      }
    }
    return oldest !== null && now - at >= (this.opts.fullSweepMs ?? 30_000) ? oldest : null;
  }

  /**
   * Which fleets without a memo this pass plans whole (first-plans.ts): all of them when the
   * bench asks for a whole pass, else as many as the budget takes, longest-waiting first.
   */
  private firstPlans(now: number): Set<string> {
    const waiting: WaitingFleet[] = [];
    const since = new Map<string, number>();
    for (const name of this.ctx.world.fleets.keys()) {
      if (this.memos.has(name)) continue;
      const at = this.waitingSince.get(name) ?? now;
      since.set(name, at);
      waiting.push({ fleet: name, servers: this.ctx.world.fleetServerCount(name), since: at });
    }
    this.waitingSince = since;
    if (this.wholeNext) return new Set(since.keys());
    return chooseFirstPlans(waiting, this.opts.firstPlanBudget ?? DefaultFirstPlanBudget);
  }

  /** The next slice of the fleet's sweep (starting one over its servers now if none is under way). */
  private sweepSlice(fleet: string): readonly string[] {
    const cursor = this.sweep?.fleet === fleet ? this.sweep.cursor : startSweep(this.ctx.world.fleetServers(fleet).map((s) => s.id));
    const step = nextSweepSlice(cursor, this.opts.sweepSlice ?? 1_000);
    if (step.done) {
      this.sweep = null;
      this.sweptAt.set(fleet, this.clock.now());
    } else {
      this.sweep = { fleet, cursor: step.cursor };
    }
    return step.slice;
  }

  private async expireReservations(): Promise<void> {
    try {
      const now = this.clock.now();
      const mutations = this.sessions.expireReservations(now, this.stalls.observingSince());
      if (mutations.length > 0) await this.ctx.persister.persist(mutations);
    } catch (e) {
      this.opts.onError(e);
    }
  }

  /** Idempotency keys live for a TTL (10 minutes by default); sweep them once a minute, in memory and in the store. */
  private async expireIdempotency(): Promise<void> {
    const now = this.clock.now();
    if (now < this.nextIdempotencySweep) return;
    this.nextIdempotencySweep = now + 60_000;
    try {
      if (this.ctx.world.expireIdempotency(now) > 0) await this.ctx.persister.persist([{ kind: 'expireIdempotency', before: now }]);
    } catch (e) {
      this.opts.onError(e);
    }
  }

  private apply(fleet: string, a: FleetAction, now: number): Mutation[] {
    switch (a.kind) {
      case 'health':
        return this.setHealth(a.serverId, a.healthy, now);
      case 'stop':
        return this.servers.stop(a.serverId, a.reason, now);
      case 'start':
        // Each launch records its Starting server synchronously, so the next pass counts it.
        for (let i = 0; i < a.count; i++) this.track(this.servers.launch(fleet, a.build, now));
        return [];
    }
  }

  private setHealth(serverId: string, healthy: boolean, now: number): Mutation[] {
    const s = this.ctx.world.servers.get(serverId);
    if (!s) return [];
    const used = this.ctx.world.used(serverId);
    const state: GameServer['state'] = healthy ? (used > 0 ? 'Active' : 'Ready') : 'Unhealthy';
    if (s.state === state) return [];
    const next = { ...s, state };
    this.ctx.world.putServer(next);
    return [
      { kind: 'putServer', server: next },
      event(now, s.fleet, healthy ? 'server.healthy' : 'server.unhealthy', s.id, healthy ? `${s.id} is healthy again` : `${s.id} missed its health deadline`, { build: s.build }),
    ];
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}
