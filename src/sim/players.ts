/**
 * Simulated players: groups (solo players and parties) arrive as a Poisson process, each with a
 * log-normal play time; each member asks the control plane for a seat, connects to the game
 * server it names with the join token it got, plays, and leaves. A player dropped by their
 * server (a migration, a crash) comes back at once for the rest of their play time — and the
 * monitor checks where that next session lands.
 */
import type { FakeClock, TimerHandle } from '../core/clock.js';
import type { SeededRandom } from '../core/random.js';
import { gameServerOn, type Disconnect } from '../runtime/simulated/game-server.js';
import type { SimulatedHost } from '../runtime/simulated/host.js';
import type { SimControlPlane } from './control-plane.js';
import type { Monitor } from './monitor.js';

export interface Workload {
  /** Groups (a solo player or a party) arriving per second. */
  arrivalsPerSecond: number;
  /** Party size → relative weight, e.g. `{ 1: 6, 2: 2, 4: 1 }`. */
  partySizes: Record<number, number>;
  /** A group's play time is log-normal with this median (s) and shape. */
  sessionMedianSeconds: number;
  sessionSigma: number;
  /** The tail is cut here, so a run ends. */
  maxSessionSeconds: number;
  /** Party members ask for a seat one after the other, [min, max] s apart. */
  memberGapSeconds: [number, number];
  /** A player gives up after waiting this long for capacity. */
  patienceSeconds: number;
  /**
   * Attributes players carry in their allocation requests, each with the share of players who
   * have it (e.g. `{ key: 'beta', value: 'true', share: 0.1 }`), for cohort rules to match.
   */
  attributes: { key: string; value: string; share: number }[];
}

export const DEFAULT_WORKLOAD: Workload = {
  arrivalsPerSecond: 0.4,
  partySizes: { 1: 6, 2: 2, 3: 1, 4: 1 },
  sessionMedianSeconds: 90,
  sessionSigma: 0.6,
  maxSessionSeconds: 360,
  memberGapSeconds: [0, 3],
  patienceSeconds: 120,
  attributes: [],
};

type PlayerState = 'waiting' | 'joining' | 'playing' | 'done';

interface Player {
  id: string;
  partyId: string | null;
  attributes: Record<string, string>;
  /** When the player stops playing, whatever happens meanwhile. */
  endsAt: number;
  waitingSince: number;
  state: PlayerState;
  sessionId: string | null;
  serverId: string | null;
  leaveTimer: TimerHandle | null;
}

export class Population {
  private readonly players = new Map<string, Player>();
  private arrivals: TimerHandle | null = null;
  private groups = 0;

  constructor(
    private readonly deps: { clock: FakeClock; random: SeededRandom; host: SimulatedHost; cp: SimControlPlane; monitor: Monitor; fleet: string },
    private readonly workload: Workload,
  ) {}

  start(): void {
    this.scheduleArrival();
  }

  stopArrivals(): void {
    if (this.arrivals) this.deps.clock.clearTimeout(this.arrivals);
    this.arrivals = null;
  }

  /** Players who have not finished playing. */
  get active(): number {
    return this.players.size;
  }

  private scheduleArrival(): void {
    const { clock, random } = this.deps;
    this.arrivals = clock.setTimeout(() => {
      this.arrive();
      this.scheduleArrival();
    }, Math.round(random.exponential(1000 / this.workload.arrivalsPerSecond)));
  }

  private arrive(): void {
    const { clock, random } = this.deps;
    const w = this.workload;
    const group = ++this.groups;
    const size = weighted(random, w.partySizes);
    // Whole milliseconds throughout, as a real clock reads.
    const playMs = Math.round(Math.min(w.maxSessionSeconds, random.logNormal(w.sessionMedianSeconds, w.sessionSigma)) * 1000);
    const partyId = size > 1 ? `party-${group}` : null;
    let delay = 0;
    for (let i = 0; i < size; i++) {
      const id = `p${group}-${i}`;
      const attributes: Record<string, string> = {};
      for (const a of w.attributes) if (random.chance(a.share)) attributes[a.key] = a.value;
      const p: Player = { id, partyId, attributes, endsAt: clock.now() + playMs, waitingSince: clock.now(), state: 'waiting', sessionId: null, serverId: null, leaveTimer: null };
      this.players.set(id, p);
      clock.setTimeout(() => void this.allocate(p), delay);
      delay += Math.round(random.uniform(w.memberGapSeconds[0], w.memberGapSeconds[1]) * 1000);
    }
  }

  private retry(p: Player, ms: number): void {
    if (this.deps.clock.now() >= p.endsAt) return this.finish(p);
    if (this.deps.clock.now() - p.waitingSince > this.workload.patienceSeconds * 1000) {
      this.deps.monitor.stats.gaveUp += 1;
      return this.finish(p);
    }
    this.deps.clock.setTimeout(() => void this.allocate(p), Math.round(ms));
  }

  private async allocate(p: Player): Promise<void> {
    const { cp, monitor, fleet } = this.deps;
    if (!cp.up) {
      monitor.stats.unavailable += 1;
      return this.retry(p, 2_000);
    }
    const ctx = monitor.beforeAllocation(cp.world, fleet, p.id, p.partyId);
    const answer = await cp.allocate({ fleet, playerId: p.id, partyId: p.partyId, attributes: p.attributes });
    if (!answer.ok) {
      const { stats } = monitor;
      if (answer.code === 'NO_CAPACITY') stats.noCapacity += 1;
      else if (['UNAVAILABLE', 'SHUTTING_DOWN', 'STORE_UNAVAILABLE'].includes(answer.code)) stats.unavailable += 1;
      else if (answer.retryable) stats.refusals[answer.code] = (stats.refusals[answer.code] ?? 0) + 1;
      else monitor.violation('unexpected-answer', `allocation of ${p.id} answered ${answer.code}`);
      return this.retry(p, (answer.retryAfterSeconds ?? 2) * 1000);
    }
    if (cp.up) monitor.afterAllocation(ctx, cp.world, answer.value);
    monitor.note(`${p.id}${p.partyId ? ` (${p.partyId})` : ''} → ${answer.value.server.id} ${answer.value.server.build} ${answer.value.outcome}`);
    await this.join(p, answer.value.server.id, answer.value.joinToken);
  }

  private async join(p: Player, serverId: string, joinToken: string): Promise<void> {
    const { host, monitor, clock } = this.deps;
    const game = gameServerOn(host, serverId);
    p.state = 'joining';
    const result = game ? await game.join({ playerId: p.id, joinToken, disconnected: (how) => this.dropped(p, serverId, how) }) : { ok: false as const, code: 'SERVER_GONE' };
    if (!result.ok) {
      p.state = 'waiting';
      // The server went away, or the control plane was down, between the answer and the join.
      if (['SERVER_GONE', 'SERVER_NOT_ACCEPTING', 'UNREACHABLE', 'SHUTTING_DOWN', 'STORE_UNAVAILABLE', 'SERVER_NOT_FOUND'].includes(result.code)) {
        monitor.stats.joinRetries += 1;
        return this.retry(p, 2_000);
      }
      monitor.violation('join-refused', `${serverId} refused ${p.id}: ${result.code}`);
      return this.retry(p, 2_000);
    }
    monitor.stats.sessionsStarted += 1;
    Object.assign(p, { state: 'playing', sessionId: result.sessionId, serverId, waitingSince: clock.now() });
    p.leaveTimer = clock.setTimeout(() => this.leave(p), Math.max(1_000, p.endsAt - clock.now()));
  }

  private leave(p: Player): void {
    p.leaveTimer = null;
    if (p.state !== 'playing' || p.serverId === null) return;
    gameServerOn(this.deps.host, p.serverId)?.leave(p.id);
    this.deps.monitor.stats.endedByPlayer += 1;
    this.finish(p);
  }

  private dropped(p: Player, serverId: string, how: Disconnect): void {
    const { monitor, clock, random } = this.deps;
    monitor.note(`${p.id} dropped by ${serverId}: ${how.kind === 'closed' ? how.reason : `exit ${how.code ?? how.signal}${how.stopped ? ' (stopped)' : ''}`}`);
    monitor.onDisconnect(p.id, p.sessionId ?? '?', serverId, how);
    if (p.leaveTimer) clock.clearTimeout(p.leaveTimer);
    Object.assign(p, { state: 'waiting', leaveTimer: null, sessionId: null, serverId: null, waitingSince: clock.now() });
    // Migrated players come straight back; after a crash they reconnect a moment later.
    this.retry(p, how.kind === 'closed' ? random.uniform(0, 1_000) : random.uniform(1_000, 5_000));
  }

  private finish(p: Player): void {
    p.state = 'done';
    this.players.delete(p.id);
  }
}

function weighted(random: SeededRandom, weights: Record<number, number>): number {
  const entries = Object.entries(weights).map(([k, w]) => [Number(k), w] as const);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = random.uniform(0, total);
  for (const [k, w] of entries) {
    if ((x -= w) < 0) return k;
  }
  return entries[entries.length - 1]?.[0] ?? 1;
}
