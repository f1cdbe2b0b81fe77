/**
 * Per-variant session figures for `rollout status` (A/B tests, canaries): how many sessions each
 * build got during the release, how long they lasted, how many ended badly. Pure: the service
 * gathers the sessions (open ones from memory, closed ones from the store).
 */
import type { CloseReason, Session } from '../../session/model.js';
import type { FigureWindow } from '../strategy.js';

/** Close reasons that say a session went wrong for the player: they dropped, the game crashed, or it ended the session in error. */
export const AbnormalCloseReasons: readonly CloseReason[] = ['disconnected', 'server_crashed', 'error'];

export type FigureSession = Pick<Session, 'build' | 'openedAt' | 'connectedAt' | 'closedAt' | 'closeReason'>;

export type VariantFigures = {
  name: string;
  build: string;
  /** Sessions opened in the window, open or closed. */
  sessions: number;
  open: number;
  /** Length from connect to close of the closed sessions that connected, in seconds. */
  meanSeconds: number | null;
  medianSeconds: number | null;
  /** Closed as `disconnected`, `server_crashed` or `error`. */
  abnormalCloses: number;
  closeReasons: Partial<Record<CloseReason, number>>;
};

export function variantFigures(sessions: Iterable<FigureSession>, window: FigureWindow, now: number): VariantFigures[] {
  const until = window.until ?? now;
  const byBuild = new Map(window.variants.map((v) => [v.build, { ...v, sessions: 0, open: 0, abnormal: 0, lengths: [] as number[], reasons: {} as Partial<Record<CloseReason, number>> }]));
  for (const s of sessions) {
    const acc = byBuild.get(s.build);
    if (!acc || s.openedAt < window.since || s.openedAt >= until) continue;
    acc.sessions++;
    if (s.closedAt === null || s.closeReason === null) {
      acc.open++;
      continue;
    }
    acc.reasons[s.closeReason] = (acc.reasons[s.closeReason] ?? 0) + 1;
    if (AbnormalCloseReasons.includes(s.closeReason)) acc.abnormal++;
    // A reservation never connected has no play time: it says nothing about session length.
    if (s.connectedAt !== null) acc.lengths.push(Math.max(0, s.closedAt - s.connectedAt) / 1000);
  }
  return [...byBuild.values()].map((a) => ({
    name: a.name,
    build: a.build,
    sessions: a.sessions,
    open: a.open,
    meanSeconds: a.lengths.length === 0 ? null : round(a.lengths.reduce((x, y) => x + y, 0) / a.lengths.length),
    medianSeconds: median(a.lengths),
    abnormalCloses: a.abnormal,
    closeReasons: a.reasons,
  }));
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const m = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return round(m);
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
