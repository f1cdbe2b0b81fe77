import path from 'node:path';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Mutation, StateStore } from '../store/port.js';
import { appendArchive, type ArchiveLine } from './archive.js';
import { planRetention, type RetentionPlan, type RetentionPolicy } from './plan.js';

export interface RetentionDeps {
  store: StateStore;
  /** Commits through the control plane's persister, in order with every other write. */
  persist: (mutations: readonly Mutation[]) => Promise<void>;
  clock: Clock;
  policy: RetentionPolicy;
  /**
   * When set, what a pass removes is first appended to `handoff-archive-YYYY-MM-DD.jsonl` here
   * (and fsynced), then deleted: nothing leaves the store without reaching the archive.
   */
  archiveDir?: string | null;
  onError: (e: unknown) => void;
  /** How far a reader of the event log (the webhook outbox) has got; null when none follows it. */
  eventsReadUpTo?: () => number | null;
}

/**
 * Applies the retention policy: one small pass at a time on a timer, never on a request's path.
 * A pass reads the oldest batch of each kind, plans (`planRetention`), archives if asked, and
 * commits the deletions. A backlog (a full batch) is worked off at `backlogIntervalMs`.
 */
export class RetentionService {
  private timer: TimerHandle | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: RetentionDeps) {}

  start(): void {
    this.schedule(this.deps.policy.backlogIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    await this.running.catch(() => undefined);
  }

  async pass(): Promise<RetentionPlan> {
    const { store, policy, clock } = this.deps;
    const stats = await store.retentionStats();
    const oldestEvents = stats.oldestEventSeq === null ? [] : await store.listEvents({ limit: policy.batchSize });
    const oldestClosed = stats.closedSessions === 0 ? [] : await store.listClosedSessions({ limit: policy.batchSize });
    const now = clock.now();
    const plan = planRetention(now, policy, {
      newestEventSeq: stats.newestEventSeq,
      oldestEvents,
      eventsReadUpTo: this.deps.eventsReadUpTo?.() ?? null,
      closedSessions: stats.closedSessions,
      oldestClosedSessions: oldestClosed.map((s) => ({ id: s.id, closedAt: s.closedAt ?? 0 })),
    });
    const mutations: Mutation[] = [];
    if (plan.deleteEventsThroughSeq !== null) mutations.push({ kind: 'deleteEvents', throughSeq: plan.deleteEventsThroughSeq });
    if (plan.deleteSessionIds.length > 0) mutations.push({ kind: 'deleteClosedSessions', ids: plan.deleteSessionIds });
    if (mutations.length === 0) return plan;
    if (this.deps.archiveDir) {
      const doomed = new Set(plan.deleteSessionIds);
      const lines: ArchiveLine[] = [
        ...oldestEvents.slice(0, plan.eventCount).map((record): ArchiveLine => ({ type: 'event', record })),
        ...oldestClosed.filter((s) => doomed.has(s.id)).map((record): ArchiveLine => ({ type: 'session', record })),
      ];
      const day = new Date(now).toISOString().slice(0, 10);
      await appendArchive(path.join(this.deps.archiveDir, `handoff-archive-${day}.jsonl`), lines);
    }
    await this.deps.persist(mutations);
    return plan;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimeout(() => {
      const run = this.pass().then(
        (plan) => this.schedule(plan.more ? this.deps.policy.backlogIntervalMs : this.deps.policy.intervalMs),
        (e: unknown) => {
          this.deps.onError(e);
          this.schedule(this.deps.policy.intervalMs);
        },
      );
      this.running = run;
    }, ms);
  }
}
