/**
 * One run of the light simulator: the machine (servers booting, crashing, exiting; players
 * arriving and leaving) and the control plane's doors it uses (allocate, session ended, ready,
 * watch connected, restart). The reconcile pass is `pass.ts`; what operators do is `operator.ts`.
 *
 * Time moves tick by tick (the reconcile interval): each tick fires the rare events due
 * (`EventQueue`), ends the sessions due (`EndCalendar`), places the players who arrived, lets
 * the operator act, then runs the pass. Between ticks nothing is decided, which is also true of
 * the real control plane: its planners run only in passes.
 */
import { chooseServer } from '../../allocation/choose.js';
import { SeededRandom } from '../../core/random.js';
import { planFleet, startBackoffMs } from '../../fleet/plan-fleet.js';
import type { Notice } from '../../sdk/protocol.js';
import { isTerminalPhase, type Rollout } from '../../rollout/model.js';
import { strategyOf } from '../../rollout/strategies/index.js';
import { poisson } from './draws.js';
import { EndCalendar, EventQueue } from './queue.js';
import { emptyTally, type NinesCase, type Planners, type Tally } from './model.js';
import { World, type NServer } from './world.js';

type Ev =
  | { at: number; kind: 'boot' | 'crash' | 'exit'; slot: number }
  | { at: number; kind: 'watch'; slot: number; gen: number }
  | { at: number; kind: 'check'; rollout: string; serverId: string }
  | { at: number; kind: 'cp-up' };

const PLAYER_IDS = Array.from({ length: 4096 }, (_, i) => `p${i}`);
const BACKOFF = { baseMs: 1_000, maxMs: 60_000 };

export const realPlanners: Planners = { fleet: planFleet, release: strategyOf };

export class NinesSim {
  readonly world: World;
  readonly events = new EventQueue<Ev>();
  readonly ends: EndCalendar;
  readonly random: SeededRandom;
  readonly tally: Tally = emptyTally();
  now = 0;
  cpUp = true;
  observingSince = 0;
  /** A check (smoke, webhook) is running: the service's `smokeRunning`, lost on a restart. */
  checkRunning = false;
  readonly startNotBefore = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  /** Bumped on every restart: watch events scheduled before it are stale. */
  private gen = 0;
  private nextPlayer = 0;
  /** Servers whose count changed by session ends this tick. */
  private readonly dirty: number[] = [];

  constructor(readonly c: NinesCase, readonly planners: Planners = realPlanners) {
    this.world = new World('v0');
    this.random = new SeededRandom(c.seed);
    this.ends = new EndCalendar(Math.ceil((c.workload.maxSessionSeconds * 1000) / c.tickMs) + 1);
  }

  note(kind: string, detail: string): void {
    if (this.tally.examples.length < 10) this.tally.examples.push(`${this.c.name} (seed ${this.c.seed}) at ${this.now} ms: ${kind}: ${detail}`);
  }

  // ---- players ----

  /** Ends due this tick, then this tick's arrivals through the real allocator. */
  players(): void {
    this.ends.drain(this.endSession);
    // Ends are batched per server: the index and the Ready/Active state are brought up to date
    // once per server per tick, before the first allocation can look at them.
    for (const slot of this.dirty) {
      const s = this.world.servers[slot] as NServer;
      s.dirty = false;
      if (this.world.live.has(slot)) this.world.setCpUsed(s, s.cpUsed, this.now);
    }
    this.dirty.length = 0;
    const w = this.c.workload;
    if (this.now > (this.c.arrivalsForMs ?? Infinity)) return;
    const n = poisson(this.random, (w.arrivalsPerSecond * this.c.tickMs) / 1000);
    for (let i = 0; i < n; i++) if (this.place(null)) this.tally.sessions += 1;
  }

  /** A player asks for a seat (`forcedBuild`: a migrated player's token). True when seated. */
  place(forcedBuild: string | null): boolean {
    const world = this.world;
    if (!this.cpUp || world.routing.closed) {
      this.tally.refused += 1;
      return false;
    }
    const playerId = PLAYER_IDS[this.nextPlayer++ & 4095] as string;
    const r = chooseServer({
      playerId, partyId: null, clientVersion: null, routing: world.routing, accepts: acceptsAll, candidates: world.view,
      partyServers: [], partyPolicy: 'together', forcedBuild,
    });
    const s = r.ok ? world.byIdOrNull(r.serverId) : undefined;
    if (!s) {
      this.tally.refused += 1;
      return false;
    }
    if (!s.alive || s.cpUsed >= s.capacity) {
      // The allocator offered a dead or full server: not an interruption, but a run that must not pass.
      this.tally.unexpected += 1;
      this.note('misplaced', `${s.id} was offered (alive ${s.alive}, ${s.cpUsed}/${s.capacity})`);
    }
    s.trueUsed += 1;
    world.setCpUsed(s, s.cpUsed + 1, this.now);
    const w = this.c.workload;
    const seconds = Math.min(w.maxSessionSeconds, w.sessionMedianSeconds * Math.exp(w.sessionSigma * this.random.normal()));
    this.ends.add(Math.ceil((this.now + seconds * 1000) / this.c.tickMs), s.slot, s.epoch);
    return true;
  }

  private readonly endSession = (slot: number, epoch: number): void => {
    const s = this.world.servers[slot] as NServer;
    if (!s.alive || !EndCalendar.sameEpoch(s.epoch, epoch)) return;
    s.trueUsed -= 1;
    if (!this.cpUp) {
      s.pendingEnds += 1;
      return;
    }
    if (s.cpUsed > 0) s.cpUsed -= 1;
    if (!s.dirty) {
      s.dirty = true;
      this.dirty.push(slot);
    }
  };

  // ---- servers ----

  launch(build: string): void {
    const s = this.world.add(build, this.c.fleet.sessionsPerServer, this.now);
    const [a, b] = this.c.behaviour.bootMs;
    this.events.push({ at: this.now + this.random.uniform(a, b), kind: 'boot', slot: s.slot });
  }

  /** The control plane hands the machine a stop (the planner chose it): judged against the truth. */
  signalStop(s: NServer): void {
    if (s.alive && s.trueUsed > 0) {
      this.tally.interruptions += s.trueUsed;
      this.note('stopped-under-player', `${s.id} (${s.build}) stopped with ${s.trueUsed} players on it`);
    }
    if (s.cpUsed > 0) {
      this.tally.unsafeStops += 1;
      this.note('stopped-with-open-session', `${s.id} stopped while the control plane counts ${s.cpUsed} open sessions on it`);
    }
    this.events.push({ at: this.now + this.c.behaviour.drainMs, kind: 'exit', slot: s.slot });
  }

  /**
   * The control plane closes every session it has open on the server (`migrated`, `maintenance`)
   * and tells the server. A server that hears it lets its players go: judged on the notices it
   * heard before. One that does not hear it (no watch) keeps them; its roster keeps it occupied.
   */
  closeSessions(s: NServer, reason: string, migrateTo: string | null): void {
    this.world.setCpUsed(s, 0, this.now);
    if (!this.hears(s) || s.trueUsed === 0) return;
    const players = s.trueUsed;
    const announced = reason === 'maintenance' ? s.maintenanceNoticed : reason === 'migrated' ? s.drainNoticed : false;
    if (!announced) {
      this.tally.interruptions += players;
      this.note('closed-without-notice', `${players} players of ${s.id} closed as ${reason} with no notice before`);
    } else if (reason === 'maintenance') this.tally.closedForMaintenance += players;
    else this.tally.migratedWithNotice += players;
    this.dropAll(s);
    // Migrated players come back at once with their token (the heavy simulation's players do too).
    if (reason === 'migrated') for (let i = 0; i < players; i++) if (this.place(migrateTo)) this.tally.replaced += 1;
  }

  /** A notice from the control plane reaches the game server only over a connected watch. */
  notify(s: NServer, n: Notice): void {
    if (!this.hears(s)) return;
    if (n.type === 'drain' || n.type === 'migrate') s.drainNoticed = true;
    else if (n.type === 'drain-cancelled') s.drainNoticed = false;
    else if (n.type === 'maintenance') s.maintenanceNoticed = true;
  }

  private hears(s: NServer): boolean {
    return this.cpUp && s.alive && s.watching;
  }

  private dropAll(s: NServer): void {
    s.trueUsed = 0;
    s.pendingEnds = 0;
    s.epoch += 1;
  }

  startFailed(s: NServer): void {
    const n = (this.failures.get(s.build) ?? 0) + 1;
    this.failures.set(s.build, n);
    this.startNotBefore.set(s.build, this.now + startBackoffMs(n, BACKOFF.baseMs, BACKOFF.maxMs));
    const r = this.world.rollout;
    if (!r || isTerminalPhase(r.phase) || !freshBuilds(r).includes(s.build)) return;
    this.world.rollout = { ...r, startFailures: r.startFailures + 1, lastFailure: 'exit code 1', updatedAt: this.now };
  }

  // ---- events ----

  /** Fires every rare event due by now. */
  fire(): void {
    while (this.events.peekAt() <= this.now) {
      const e = this.events.pop() as Ev;
      if (e.kind === 'cp-up') this.controlPlaneUp();
      else if (e.kind === 'check') this.checkAnswered(e.rollout, e.serverId);
      else this.serverEvent(e.kind, this.world.servers[e.slot] as NServer, e.kind === 'watch' ? e.gen : 0);
    }
  }

  private serverEvent(kind: 'boot' | 'crash' | 'exit' | 'watch', s: NServer, gen: number): void {
    if (!s.alive) return;
    const b = this.c.behaviour;
    if (kind === 'boot') {
      if (s.stopRequestedAt !== null) return;
      const r = this.world.rollout;
      if (b.crashAtStart > 0 && r && freshBuilds(r).includes(s.build) && this.random.chance(b.crashAtStart)) return this.crash(s);
      s.booted = true;
      if (b.crashesPerHour > 0) this.events.push({ at: this.now + this.random.exponential(3_600_000 / b.crashesPerHour), kind: 'crash', slot: s.slot });
      if (this.cpUp) this.ready(s);
      this.events.push({ at: this.now + this.random.uniform(...b.watchLagMs), kind: 'watch', slot: s.slot, gen: this.gen });
    } else if (kind === 'crash') this.crash(s);
    else if (kind === 'exit') {
      if (s.trueUsed > 0) this.note('exit-under-player', `${s.id} exited with ${s.trueUsed} players`);
      s.alive = false;
      this.dropAll(s);
      if (this.cpUp) this.world.retire(s, 'Stopped');
    } else if (gen === this.gen && this.cpUp) this.watchConnected(s);
  }

  private crash(s: NServer): void {
    this.tally.crashes += 1;
    this.tally.lostToCrash += s.trueUsed;
    s.alive = false;
    s.watching = false;
    this.dropAll(s);
    if (!this.cpUp) return;
    if (!s.booted) this.startFailed(s);
    this.world.setCpUsed(s, 0, this.now);
    this.world.retire(s, 'Crashed');
  }

  private ready(s: NServer): void {
    if (s.state !== 'Starting') return;
    s.state = 'Ready';
    s.emptySince = this.now;
    this.tally.serversReady += 1;
    this.failures.delete(s.build);
    this.startNotBefore.delete(s.build);
    this.world.sync(s);
  }

  /** The watch (re)connects: the roster is reported (delayed ends delivered) and standing notices replayed. */
  private watchConnected(s: NServer): void {
    s.watching = true;
    s.reported = true;
    s.unverified = false;
    s.pendingEnds = 0;
    if (s.booted) this.ready(s);
    if (s.cpUsed !== s.trueUsed) this.world.setCpUsed(s, s.trueUsed, this.now);
    const r = this.world.rollout;
    const standing = r && !isTerminalPhase(r.phase) ? (this.planners.release(r).standing?.(r, s, this.now) ?? []) : [];
    for (const n of standing) this.notify(s, n);
    if (s.drainDeadline !== null) {
      this.notify(s, s.migrateTo ? { type: 'migrate', build: s.migrateTo, deadline: s.drainDeadline, at: this.now } : { type: 'drain', reason: s.drainReason ?? 'release', deadline: s.drainDeadline, at: this.now });
    }
  }

  /** The control plane goes down (its process dies): what it knew lives on in the last commit. */
  controlPlaneDown(): void {
    this.cpUp = false;
    this.checkRunning = false;
    this.tally.restarts += 1;
    for (const slot of this.world.live) (this.world.servers[slot] as NServer).watching = false;
    const [a, b] = this.c.downtimeMs;
    this.events.push({ at: this.now + this.random.uniform(a, b), kind: 'cp-up' });
  }

  private controlPlaneUp(): void {
    this.cpUp = true;
    this.gen += 1;
    this.observingSince = this.now;
    this.failures.clear();
    this.startNotBefore.clear();
    const [a, b] = this.c.behaviour.reconnectMs;
    for (const s of this.world.liveServers()) {
      // The runtime re-adopts what still runs; what exited meanwhile is gone.
      if (!s.alive) {
        this.world.setCpUsed(s, 0, this.now);
        this.world.retire(s, s.stopRequestedAt !== null ? 'Stopped' : 'Crashed');
        continue;
      }
      s.unverified = true;
      s.reported = false;
      this.events.push({ at: this.now + this.random.uniform(a, b), kind: 'watch', slot: s.slot, gen: this.gen });
    }
  }

  scheduleCheck(rollout: string, serverId: string): void {
    this.checkRunning = true;
    this.events.push({ at: this.now + this.c.behaviour.checkMs, kind: 'check', rollout, serverId });
  }

  /** As `RolloutService.recordSmoke`: only the check the release still waits on counts. */
  private checkAnswered(id: string, serverId: string): void {
    if (!this.cpUp || !this.checkRunning) return;
    this.checkRunning = false;
    const r = this.world.rollout;
    if (!r || r.id !== id || r.phase !== 'Verifying' || r.smoke?.serverId !== serverId) return;
    const passed = !this.c.behaviour.checkFails;
    this.world.rollout = { ...r, smoke: { ...r.smoke, state: passed ? 'passed' : 'failed', finishedAt: this.now, detail: passed ? 'ok' : 'exit code 1' }, updatedAt: this.now };
  }
}

const acceptsAll = (): boolean => true;

/** The builds a release brings (its own, A/B variants), not the one it leaves: their failed starts count against it. */
export function freshBuilds(r: Rollout): string[] {
  return [r.toBuild, ...(strategyOf(r).builds?.(r.spec) ?? [])].filter((b) => b !== r.fromBuild);
}
