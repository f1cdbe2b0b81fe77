/**
 * Gathers what per-variant figures need: a release's open sessions from memory and a bounded
 * page of the fleet's most recently opened closed sessions from the store. `rollout status`
 * polls every second or two, so the store page is reused per fleet for a couple of seconds.
 */
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

interface Page {
  readAt: number;
  closed: Promise<{ sessions: FigureSession[]; full: boolean }>;
}

export class FiguresReader {
  private readonly cache = new Map<string, Page>();

  constructor(
    private readonly ctx: Pick<Ctx, 'world' | 'store' | 'persister' | 'clock'>,
    private readonly opts: FiguresReaderOptions = { windowClosedSessions: 5_000, cacheTtlMs: 2_000 },
  ) {}

  /** The rollout with `progressState.figures` filled in, when its strategy reports figures. */
  async withFigures(r: Rollout): Promise<Rollout> {
    const window = strategyOf(r).figures?.(r) ?? null;
    if (!window) return r;
    const until = window.until ?? (isTerminalPhase(r.phase) ? (r.completedAt ?? r.abortedAt ?? r.failedAt ?? r.updatedAt) : null);
    const page = await this.closed(r.fleet);
    const now = this.ctx.clock.now();
    const sessions: FigureSession[] = [...page.sessions];
    for (const s of this.ctx.world.sessions.values()) if (s.fleet === r.fleet) sessions.push(s);
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

  private closed(fleet: string): Page['closed'] {
    const now = this.ctx.clock.now();
    for (const [f, p] of this.cache) if (now - p.readAt >= this.opts.cacheTtlMs) this.cache.delete(f);
    const hit = this.cache.get(fleet);
    if (hit) return hit.closed;
    const closed = this.read(fleet);
    this.cache.set(fleet, { readAt: now, closed });
    closed.catch(() => {
      if (this.cache.get(fleet)?.closed === closed) this.cache.delete(fleet);
    });
    return closed;
  }

  private async read(fleet: string): Promise<{ sessions: FigureSession[]; full: boolean }> {
    // Sessions closed in memory reach the store with the next commit; wait for it.
    await this.ctx.persister.drain();
    const limit = this.opts.windowClosedSessions;
    const page: Session[] = await this.ctx.store.listSessions({ fleet, open: false, limit });
    const sessions = page.map(({ build, openedAt, connectedAt, closedAt, closeReason }) => ({ build, openedAt, connectedAt, closedAt, closeReason }));
    return { sessions, full: page.length >= limit };
  }
}
