/**
 * Gathers what the drain forecast needs — the fleet's open sessions from the world, a bounded
 * page of its recently opened closed sessions from the store — and runs the pure model.
 * `rollout status` polls this every second or two, so the store read is cached per fleet for a
 * few seconds; open sessions are always read live (they are in memory).
 */
import { HandoffError } from '../../core/errors.js';
import { ReadCache } from '../../core/read-cache.js';
import type { Ctx } from '../../state/context.js';
import { deadlineRisk, DefaultForecastOptions, drainModel, forecastDrain, type DeadlineRisk, type DrainForecast, type ForecastOptions } from './drain.js';
import { buildSample, type Sample, type SessionTimes } from './sample.js';

export interface ForecastServiceOptions extends ForecastOptions {
  /** How many closed sessions (the most recently opened) the estimate reads. */
  windowClosedSessions: number;
  /** How long a fleet's page of closed sessions is reused. */
  cacheTtlMs: number;
}

export const DefaultForecastServiceOptions: ForecastServiceOptions = { ...DefaultForecastOptions, windowClosedSessions: 2_000, cacheTtlMs: 5_000 };

export interface ForecastReport extends DrainForecast {
  fleet: string;
  build: string;
  now: number;
  sample: Omit<Sample, 'observations'> & { longestObservedMs: number | null };
  /** Present when a deadline was proposed. */
  deadline: DeadlineRisk | null;
}

/** A deadline as an absolute time (ms since epoch) or relative to the control plane's clock. */
export type ProposedDeadline = { at: number } | { afterMs: number };

export class ForecastService {
  private readonly cache: ReadCache<{ sessions: SessionTimes[]; full: boolean }>;
  private readonly opts: ForecastServiceOptions;

  constructor(
    private readonly ctx: Pick<Ctx, 'world' | 'store' | 'persister' | 'clock'>,
    opts: Partial<ForecastServiceOptions> = {},
  ) {
    this.opts = { ...DefaultForecastServiceOptions, ...opts };
    this.cache = new ReadCache(this.opts.cacheTtlMs, () => ctx.clock.now());
  }

  /**
   * When `build`'s open sessions in `fleet` will all have ended if it takes no new ones, and,
   * given a proposed deadline (at a time, or some ms after now), what that deadline would cut.
   */
  async forecast(fleet: string, build: string, deadline?: ProposedDeadline): Promise<ForecastReport> {
    const { world } = this.ctx;
    if (!world.fleets.has(fleet)) throw new HandoffError('FLEET_NOT_FOUND', `no fleet named ${fleet}`, { fleet });
    if (!world.builds.has(build)) throw new HandoffError('BUILD_NOT_FOUND', `no build ${build}`, { build });
    const history = await this.closedSessions(fleet);
    // Read the clock and the world after the await, so ages and the sample agree.
    const now = this.ctx.clock.now();
    const open: SessionTimes[] = [];
    const subjects: number[] = [];
    for (const s of world.sessions.values()) {
      if (s.fleet !== fleet) continue;
      open.push(s);
      if (s.build === build) subjects.push(s.openedAt);
    }
    const sample = buildSample(history.sessions, open, now, history.full);
    const model = drainModel(sample, subjects, now);
    const { observations: _observations, ...counts } = sample;
    return {
      fleet, build, now,
      ...forecastDrain(model, this.opts),
      sample: { ...counts, longestObservedMs: sample.observations.length > 0 ? model.curve.horizon : null },
      deadline: deadline === undefined ? null : deadlineRisk(model, 'at' in deadline ? deadline.at : now + deadline.afterMs, this.opts),
    };
  }

  /** The fleet's recent closed sessions, read at most once per `cacheTtlMs` (concurrent readers share one read). */
  private closedSessions(fleet: string): Promise<{ sessions: SessionTimes[]; full: boolean }> {
    return this.cache.get(fleet, () => this.read(fleet));
  }

  private async read(fleet: string): Promise<{ sessions: SessionTimes[]; full: boolean }> {
    // Sessions closed in memory reach the store with the next commit; wait for it.
    await this.ctx.persister.drain();
    const limit = this.opts.windowClosedSessions;
    const page = await this.ctx.store.listSessions({ fleet, open: false, limit });
    // Keep only the three fields the estimate reads: the cache holds thousands per fleet.
    const sessions = page.map(({ openedAt, closedAt, closeReason }) => ({ openedAt, closedAt, closeReason }));
    return { sessions, full: page.length >= limit };
  }
}
