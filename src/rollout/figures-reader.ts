/**
 * Gathers what per-variant figures need: a release's open sessions from memory and a bounded
 * page of the fleet's most recently opened closed sessions from the store. `rollout status`
 * polls every second or two, so the store page is reused per fleet for a couple of seconds, as
 * long as the fleet's open sessions are the ones it had when the page was read: a session that
 * closed since would be in neither list (and one opened and closed since, too), so the counts
 * would dip; then the page is read again. A quiet fleet costs one read per couple of seconds, a
 * busy one at most one per poll.
 */
import { ReadCache } from '../core/read-cache.js';
import type { Session } from '../session/model.js';
import type { Ctx } from '../state/context.js';
import { isTerminalPhase, type Rollout } from './model.js';
import { strategyOf } from './strategies/index.js';
import { variantFigures, type FigureSession } from './strategies/figures.js';

export interface FiguresReaderOptions {
  /** How many closed sessions (the most recently opened) are read. */
  windowClosedSessions: number;
  cacheTtlMs: number;
}

interface ClosedPage {
  sessions: FigureSession[];
  full: boolean;
  /** The fleet's open sessions when the page was read. */
  openAtRead: ReadonlySet<string>;
}

export class FiguresReader {
  private readonly cache: ReadCache<ClosedPage>;

  constructor(
    private readonly ctx: Pick<Ctx, 'world' | 'store' | 'persister' | 'clock'>,
    private readonly opts: FiguresReaderOptions = { windowClosedSessions: 5_000, cacheTtlMs: 2_000 },
  ) {
    this.cache = new ReadCache(opts.cacheTtlMs, () => ctx.clock.now());
  }

  /** The rollout with `progressState.figures` filled in, when its strategy reports figures. */
  async withFigures(r: Rollout): Promise<Rollout> {
    const window = strategyOf(r).figures?.(r) ?? null;
    if (!window) return r;
    const until = window.until ?? (isTerminalPhase(r.phase) ? (r.completedAt ?? r.abortedAt ?? r.failedAt ?? r.updatedAt) : null);
    let page = await this.closed(r.fleet);
    let open = this.openSessions(r.fleet);
    if (open.length !== page.openAtRead.size || open.some((s) => !page.openAtRead.has(s.id))) {
      this.cache.drop(r.fleet);
      page = await this.closed(r.fleet);
      open = this.openSessions(r.fleet);
    }
    const now = this.ctx.clock.now();
    const sessions: FigureSession[] = [...page.sessions, ...open];
    const oldest = page.sessions.at(-1)?.openedAt ?? Number.POSITIVE_INFINITY;
    const figures = {
      since: window.since,
      until,
      variants: variantFigures(sessions, { ...window, until }, now),
      // The page did not reach back to the start of the release: older closed sessions are left out.
      truncated: page.full && oldest >= window.since,
    };
    return { ...r, progressState: { ...r.progressState, figures } };
  }

  private openSessions(fleet: string): Session[] {
    const out: Session[] = [];
    for (const s of this.ctx.world.sessions.values()) if (s.fleet === fleet) out.push(s);
    return out;
  }

  private closed(fleet: string): Promise<ClosedPage> {
    return this.cache.get(fleet, () => this.read(fleet));
  }

  private async read(fleet: string): Promise<ClosedPage> {
    // Open now: any of these that closes from here on is either in the page or seen as missing later.
    const openAtRead = new Set(this.openSessions(fleet).map((s) => s.id));
    // Sessions closed in memory reach the store with the next commit; wait for it.
    await this.ctx.persister.drain();
    const limit = this.opts.windowClosedSessions;
    const page: Session[] = await this.ctx.store.listSessions({ fleet, open: false, limit });
    const sessions = page.map(({ build, openedAt, connectedAt, closedAt, closeReason }) => ({ build, openedAt, connectedAt, closedAt, closeReason }));
    return { sessions, full: page.length >= limit, openAtRead };
  }
}
