import WebSocket from 'ws';
import type { Allocation } from './player-api.js';
import { classifyClose, type CloseFacts, type SessionOutcome } from './player-outcome.js';
import { increment, recordOutcome, type PlayerStats } from './player-stats.js';

/** Something a player saw; the pool forwards these to its listeners (demo log, tests). */
export type PlayerEvent =
  | { type: 'allocated'; playerId: string; sessionId: string; serverId: string; build: string; reconnected: boolean }
  | { type: 'allocation-failed'; playerId: string; code: string; retryable: boolean }
  | { type: 'opened'; playerId: string; sessionId: string; serverId: string; build: string }
  | { type: 'notice'; playerId: string; sessionId: string; kind: string }
  | { type: 'closed'; playerId: string; sessionId: string; serverId: string; build: string; outcome: SessionOutcome }
  | { type: 'stopped'; playerId: string };

export interface SessionDeps {
  random: () => number;
  minPlayMs: number;
  maxPlayMs: number;
  /** From dialling until the welcome arrives. */
  connectTimeoutMs: number;
  /** From sending leave until the server closes the socket. */
  leaveTimeoutMs: number;
  stats: PlayerStats;
  emit(event: PlayerEvent): void;
}

/** Chance, per tick, that the player scores: "now and then" without a timer of its own. */
const SCORE_CHANCE = 0.3;

/**
 * One connection to an allocated game server: play for a random time, leave, and classify how
 * the socket ended. Counts into the player's stats as it goes. `done` never rejects.
 */
export class PlayerSession {
  readonly done: Promise<SessionOutcome>;
  private readonly ws: WebSocket;
  private opened = false;
  private leaveRequested = false;
  private leaveSent = false;
  private error: string | null = null;
  private timedOut: CloseFacts['timedOut'] = null;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly allocation: Allocation,
    url: string,
    private readonly deps: SessionDeps,
  ) {
    let resolve: (outcome: SessionOutcome) => void = () => undefined;
    this.done = new Promise((r) => (resolve = r));
    this.ws = new WebSocket(url);
    this.after(deps.connectTimeoutMs, () => {
      if (!this.opened) this.giveUp('connect');
    });
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onMessage(data.toString());
    });
    this.ws.on('error', (e: Error & { code?: unknown }) => {
      this.error ??= typeof e.code === 'string' ? e.code : e.message;
    });
    this.ws.on('close', (code, reason) => {
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      const outcome = classifyClose({
        leaveSent: this.leaveSent,
        code,
        reason: reason.toString(),
        error: this.error,
        timedOut: this.timedOut,
      });
      recordOutcome(deps.stats, outcome);
      deps.emit({ type: 'closed', ...this.ids(), outcome });
      resolve(outcome);
    });
  }

  /** True once the welcome (or a tick) arrived: the player is in the game. */
  get isOpen(): boolean {
    return this.opened;
  }

  /** Leave as soon as possible: now when playing, right after the welcome when still connecting. */
  leaveSoon(): void {
    this.leaveRequested = true;
    if (this.opened) this.leave();
  }

  private onMessage(text: string): void {
    let msg: { type?: unknown; kind?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (msg.type === 'welcome' || msg.type === 'tick') this.markOpened();
    if (msg.type === 'tick' && !this.leaveSent && this.deps.random() < SCORE_CHANCE) {
      const points = 1 + Math.floor(this.deps.random() * 10);
      this.send({ type: 'score', points });
      this.deps.stats.scoresSent += 1;
    }
    if (msg.type === 'notice' && typeof msg.kind === 'string') {
      // Standing notices are repeated to late joiners; a player counts what it was shown.
      if (msg.kind === 'drain' || msg.kind === 'migrate') this.deps.stats.drainNotices += 1;
      this.deps.emit({ type: 'notice', playerId: this.allocation.playerId, sessionId: this.allocation.sessionId, kind: msg.kind });
    }
  }

  private markOpened(): void {
    if (this.opened) return;
    this.opened = true;
    const { stats } = this.deps;
    stats.sessionsOpened += 1;
    increment(stats.sessionsByBuild, this.allocation.server.build);
    this.deps.emit({ type: 'opened', ...this.ids() });
    if (this.leaveRequested) {
      this.leave();
      return;
    }
    const { minPlayMs, maxPlayMs, random } = this.deps;
    this.after(minPlayMs + Math.floor(random() * (maxPlayMs - minPlayMs + 1)), () => this.leave());
  }

  private leave(): void {
    if (this.leaveSent || this.ws.readyState !== WebSocket.OPEN) return;
    this.leaveSent = true;
    this.send({ type: 'leave' });
    this.after(this.deps.leaveTimeoutMs, () => this.giveUp('leave'));
  }

  private giveUp(phase: 'connect' | 'leave'): void {
    this.timedOut = phase;
    this.ws.terminate();
  }

  private send(msg: object): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private ids() {
    const { allocation } = this;
    return {
      playerId: allocation.playerId,
      sessionId: allocation.sessionId,
      serverId: allocation.server.id,
      build: allocation.server.build,
    };
  }
}
