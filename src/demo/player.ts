import { randomUUID } from 'node:crypto';
import { AllocationError, backoffDelay, playUrl, requestAllocation, type Allocation } from './player-api.js';
import { PlayerSession, type PlayerEvent } from './player-session.js';
import { copyStats, emptyStats, increment, recordOutcome, sumStats, type PlayerStats } from './player-stats.js';

export type { PlayerEvent } from './player-session.js';
export type { PlayerStats } from './player-stats.js';
export type { SessionOutcome } from './player-outcome.js';

export interface PlayerPoolOptions {
  /** Base URL of the public API, e.g. `http://127.0.0.1:8080`. */
  apiUrl: string;
  fleet: string;
  players: number;
  clientVersion?: string;
  minPlayMs: number;
  maxPlayMs: number;
  minPauseMs: number;
  maxPauseMs: number;
  /** Source of randomness in [0, 1); inject a seeded one for reproducible runs. */
  random?: () => number;
  /** Player ids are `${idPrefix}-1` … `${idPrefix}-N`. Default `sim`. */
  idPrefix?: string;
  /** Extra headers for allocation requests (e.g. an API key). */
  headers?: Record<string, string>;
  /** Default 10 000. */
  connectTimeoutMs?: number;
  /** Default 5 000. */
  leaveTimeoutMs?: number;
  /** Allocation request timeout. Default 10 000. */
  requestTimeoutMs?: number;
  /** First retry delay ceiling for retryable allocation errors. Default 100. */
  retryBaseMs?: number;
  /** Largest retry delay. Default 2 000. */
  retryMaxMs?: number;
}

export type ResolvedPoolOptions = Required<Omit<PlayerPoolOptions, 'clientVersion' | 'headers'>> &
  Pick<PlayerPoolOptions, 'clientVersion' | 'headers'>;

/** Fills defaults and validates once, so a bad demo config fails at construction. */
export function resolvePoolOptions(o: PlayerPoolOptions): ResolvedPoolOptions {
  const resolved: ResolvedPoolOptions = {
    ...o,
    random: o.random ?? Math.random,
    idPrefix: o.idPrefix ?? 'sim',
    connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
    leaveTimeoutMs: o.leaveTimeoutMs ?? 5_000,
    requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
    retryBaseMs: o.retryBaseMs ?? 100,
    retryMaxMs: o.retryMaxMs ?? 2_000,
  };
  const counts = ['players', 'minPlayMs', 'maxPlayMs', 'minPauseMs', 'maxPauseMs', 'connectTimeoutMs',
    'leaveTimeoutMs', 'requestTimeoutMs', 'retryBaseMs', 'retryMaxMs'] as const;
  for (const key of counts) {
    const v = resolved[key];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${key} must be an integer >= 0, got ${v}`);
  }
  if (resolved.minPlayMs > resolved.maxPlayMs) throw new RangeError('minPlayMs must be <= maxPlayMs');
  if (resolved.minPauseMs > resolved.maxPauseMs) throw new RangeError('minPauseMs must be <= maxPauseMs');
  return resolved;
}

export const PlayerStates = ['idle', 'allocating', 'connecting', 'playing', 'pausing', 'stopped'] as const;
export type PlayerState = (typeof PlayerStates)[number];

export interface PlayerSnapshot {
  id: string;
  state: PlayerState;
  /** The server of the current session, null between sessions. */
  serverId: string | null;
  build: string | null;
  stats: PlayerStats;
}

/**
 * One simulated player looping: allocate → connect → play → leave → pause. Retries retryable
 * allocation errors with jittered backoff; a non-retryable one waits a pause and tries again.
 */
export class SimulatedPlayer {
  private state: PlayerState = 'idle';
  private readonly counters = emptyStats();
  private current: { allocation: Allocation; session: PlayerSession } | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    readonly id: string,
    private readonly opts: ResolvedPoolOptions,
    private readonly emit: (event: PlayerEvent) => void,
  ) {}

  start(): void {
    if (this.loop || this.stopping) return;
    this.loop = this.run().catch(() => {
      // Not expected (every step handles its own errors); stop this player rather than crash the demo.
      increment(this.counters.allocationErrors, 'INTERNAL');
      this.state = 'stopped';
      this.emit({ type: 'stopped', playerId: this.id });
    });
  }

  /**
   * Leaves gracefully: a player in a game sends leave and waits for the close; one still
   * connecting leaves right after its welcome. Resolves when the loop has ended.
   */
  stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.current?.session.leaveSoon();
    return this.loop ?? Promise.resolve();
  }

  snapshot(): PlayerSnapshot {
    return {
      id: this.id,
      state: this.state,
      serverId: this.current?.allocation.server.id ?? null,
      build: this.current?.allocation.server.build ?? null,
      stats: copyStats(this.counters),
    };
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.state = 'allocating';
      const allocation = await this.allocate();
      if (allocation) await this.play(allocation);
      if (this.stopping) break;
      this.state = 'pausing';
      await this.sleep(this.between(this.opts.minPauseMs, this.opts.maxPauseMs));
    }
    this.state = 'stopped';
    this.emit({ type: 'stopped', playerId: this.id });
  }

  /** Resolves with an allocation, or undefined after a non-retryable error or on stop. */
  private async allocate(): Promise<Allocation | undefined> {
    const { apiUrl, fleet, clientVersion, headers, requestTimeoutMs, random, retryBaseMs, retryMaxMs } = this.opts;
    const body = { fleet, playerId: this.id, idempotencyKey: randomUUID(), ...(clientVersion ? { clientVersion } : {}) };
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        const allocation = await requestAllocation(apiUrl, body, { timeoutMs: requestTimeoutMs, ...(headers ? { headers } : {}) });
        this.counters.allocations += 1;
        if (allocation.reconnected) this.counters.reconnects += 1;
        const { sessionId, server, reconnected } = allocation;
        this.emit({ type: 'allocated', playerId: this.id, sessionId, serverId: server.id, build: server.build, reconnected });
        return allocation;
      } catch (e) {
        const err = e instanceof AllocationError ? e : new AllocationError('INTERNAL', String(e), false, null);
        increment(this.counters.allocationErrors, err.code);
        this.emit({ type: 'allocation-failed', playerId: this.id, code: err.code, retryable: err.retryable });
        if (!err.retryable) return undefined;
        await this.sleep(backoffDelay(attempt, random, retryBaseMs, retryMaxMs));
      }
    }
    return undefined;
  }

  private async play(allocation: Allocation): Promise<void> {
    const url = playUrl(allocation);
    if (url === undefined) {
      increment(this.counters.allocationErrors, 'NO_GAME_PORT');
      return;
    }
    this.state = 'connecting';
    let session: PlayerSession;
    try {
      session = new PlayerSession(allocation, url, {
        ...this.opts,
        stats: this.counters,
        emit: (event) => {
          if (event.type === 'opened') this.state = 'playing';
          this.emit(event);
        },
      });
    } catch {
      // `ws` throws synchronously on a URL it cannot dial (a bad address in the allocation).
      recordOutcome(this.counters, { kind: 'interrupted', cause: 'error:INVALID_URL' });
      return;
    }
    this.current = { allocation, session };
    // stop() may have run while the allocation was in flight: the seat is ours, so use and free it.
    if (this.stopping) session.leaveSoon();
    await session.done;
    this.current = null;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private between(min: number, max: number): number {
    return min + Math.floor(this.opts.random() * (max - min + 1));
  }
}

export interface PoolStats {
  players: number;
  /** Players connecting to or playing on a server right now. */
  inSession: number;
  total: PlayerStats;
  byPlayer: Record<string, PlayerSnapshot>;
}

/** A crowd of simulated players against one fleet, for the demo and end-to-end tests. */
export class PlayerPool {
  private readonly opts: ResolvedPoolOptions;
  private readonly players: SimulatedPlayer[];
  private readonly listeners = new Set<(event: PlayerEvent) => void>();
  private phase: 'idle' | 'running' | 'stopped' = 'idle';

  constructor(options: PlayerPoolOptions) {
    this.opts = resolvePoolOptions(options);
    const emit = (event: PlayerEvent) => this.dispatch(event);
    this.players = Array.from(
      { length: this.opts.players },
      (_, i) => new SimulatedPlayer(`${this.opts.idPrefix}-${i + 1}`, this.opts, emit),
    );
  }

  start(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'running';
    for (const p of this.players) p.start();
  }

  /** Every player leaves gracefully (leave, wait for the close); resolves when all are done. */
  async stop(): Promise<void> {
    this.phase = 'stopped';
    await Promise.all(this.players.map((p) => p.stop()));
  }

  /** Subscribes to player events; returns an unsubscribe function. */
  on(listener: (event: PlayerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): PoolStats {
    const snapshots = this.players.map((p) => p.snapshot());
    return {
      players: snapshots.length,
      inSession: snapshots.filter((s) => s.state === 'connecting' || s.state === 'playing').length,
      total: sumStats(snapshots.map((s) => s.stats)),
      byPlayer: Object.fromEntries(snapshots.map((s) => [s.id, s])),
    };
  }

  private dispatch(event: PlayerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A faulty listener (a demo log line) must not take a player down with it.
      }
    }
  }
}
