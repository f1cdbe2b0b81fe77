/**
 * Test support: an in-memory SdkBackend that records every call, and a queue to await things
 * that happen on the other side of a socket without sleeping. The real backend is the control
 * plane, covered by the end-to-end tests.
 */
import { HandoffError } from '../../core/errors.js';
import type { CloseReason } from '../../session/model.js';
import type { SdkBackend } from '../backend.js';
import type { MetricReport, Notice, SdkSelf, SdkSessionView } from '../protocol.js';

/** Items pushed on one side, awaited in order on the other. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(item: T) => void> = [];

  push = (item: T): void => {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  };

  next(): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The next `n` items, in order. */
  async take(n: number): Promise<T[]> {
    const out: T[] = [];
    while (out.length < n) out.push(await this.next());
    return out;
  }
}

export type Call = { method: string; serverId: string; args: unknown[] };
type Listener = (notice: Notice) => void;

export class FakeBackend implements SdkBackend {
  /** Every call that passed authentication, in order. */
  readonly calls = new Inbox<Call>();
  readonly log: Call[] = [];
  /** Server id of every subscribe (`+id`) and unsubscribe (`-id`). */
  readonly subscriptions = new Inbox<string>();
  readonly tokens = new Map([
    ['token-a', 'gs-a'],
    ['token-b', 'gs-b'],
  ]);
  /** Players with a session reserved on each server. */
  readonly allocated = new Map<string, Set<string>>([['gs-a', new Set(['p1', 'p2'])]]);
  /** Errors the next calls of a method throw, first in first out. */
  readonly failures = new Map<string, unknown[]>();
  private readonly standing = new Map<string, Notice>();
  private readonly listeners = new Map<string, Set<Listener>>();

  authenticate(token: string): string | undefined {
    return this.tokens.get(token);
  }

  async ready(serverId: string): Promise<void> {
    this.record('ready', serverId);
  }

  health(serverId: string): void {
    this.record('health', serverId);
  }

  async sessionStarted(serverId: string, playerId: string, joinToken: string | null): Promise<SdkSessionView> {
    this.record('sessionStarted', serverId, playerId, joinToken);
    if (!this.allocated.get(serverId)?.has(playerId)) throw new HandoffError('SESSION_NOT_ALLOCATED', undefined, { playerId });
    if (joinToken === 'forged') throw new HandoffError('JOIN_TOKEN_INVALID');
    return { sessionId: `s-${playerId}`, playerId, partyId: null, attributes: { mode: 'duel' } };
  }

  async sessionEnded(serverId: string, playerId: string, reason: CloseReason, sessionId: string | null = null): Promise<void> {
    if (sessionId === null) this.record('sessionEnded', serverId, playerId, reason);
    else this.record('sessionEnded', serverId, playerId, reason, sessionId);
  }

  async setCapacity(serverId: string, capacity: number): Promise<void> {
    this.record('setCapacity', serverId, capacity);
  }

  /** The last roster each server reported. */
  readonly rosters = new Map<string, { players: string[]; sessions: Record<string, string> }>();
  /** Every roster report, in order. */
  readonly rosterReports = new Inbox<{ serverId: string; players: string[]; sessions: Record<string, string> }>();

  async reportRoster(serverId: string, players: string[], sessions: Record<string, string>): Promise<void> {
    this.record('reportRoster', serverId, players, sessions);
    this.rosters.set(serverId, { players, sessions });
    this.rosterReports.push({ serverId, players, sessions });
  }

  reportMetrics(serverId: string, metrics: readonly MetricReport[]): void {
    this.record('reportMetrics', serverId, metrics);
  }

  async requestShutdown(serverId: string): Promise<void> {
    this.record('requestShutdown', serverId);
  }

  self(serverId: string): SdkSelf {
    this.record('self', serverId);
    return {
      serverId,
      fleet: 'arena',
      build: 'arena-1',
      version: '1.0.0',
      state: 'Ready',
      capacity: 2,
      ports: { game: 7777 },
      sessions: [],
    };
  }

  subscribe(serverId: string, listener: Listener): () => void {
    this.record('subscribe', serverId);
    const set = this.listeners.get(serverId) ?? new Set();
    this.listeners.set(serverId, set);
    set.add(listener);
    this.subscriptions.push(`+${serverId}`);
    const standing = this.standing.get(serverId);
    if (standing) listener(standing);
    return () => {
      set.delete(listener);
      this.subscriptions.push(`-${serverId}`);
    };
  }

  /** Sends a notice to the server's watchers; a drain or a migration stands until cancelled. */
  notify(serverId: string, notice: Notice): void {
    if (notice.type === 'drain' || notice.type === 'migrate') this.standing.set(serverId, notice);
    if (notice.type === 'drain-cancelled') this.standing.delete(serverId);
    for (const listener of this.listeners.get(serverId) ?? []) listener(notice);
  }

  failNext(method: string, ...errors: unknown[]): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...errors]);
  }

  private record(method: string, serverId: string, ...args: unknown[]): void {
    const call = { method, serverId, args };
    this.log.push(call);
    this.calls.push(call);
    const failure = this.failures.get(method)?.shift();
    if (failure !== undefined) throw failure;
  }
}
