/**
 * Which observed sessions feed the survival estimate, and how each counts. Pure.
 *
 * A session's length runs from `openedAt` (its seat is held from then, so a draining server is
 * busy from then) to `closedAt`. A close is an *event* when the session ended on its own — the
 * way a draining build's sessions will end — and *censoring* when something cut it short, so
 * all we learn is that it would have lasted at least that long. See docs/forecast.md.
 */
import type { CloseReason, Session } from '../../session/model.js';
import type { Observation } from './kaplan-meier.js';

export type CloseRole = 'event' | 'censored';

/**
 * Every close reason must be placed here: a new reason fails to compile until someone decides.
 * The drain forecast predicts when sessions end *without* Handoff or anyone intervening, so
 * interventions (and crashes, which are no way to drain a build) censor.
 */
export const CloseReasonRoles: Readonly<Record<CloseReason, CloseRole>> = {
  ended: 'event',
  disconnected: 'event', // the player dropped and did not return: the session ended by itself
  expired: 'event', // how an unused reservation on a draining server ends, with no one acting
  roster: 'event', // the game no longer had the player; the control plane learned it late, and
  // a draining server is freed when the control plane closes the session, i.e. at this time too
  api: 'censored', // an operator or matchmaker chose the end: an intervention
  migrated: 'censored', // cut by a release deadline: the player would have stayed
  maintenance: 'censored', // cut by a maintenance window's deadline: the player would have stayed
  server_crashed: 'censored', // cut by the crash
  error: 'censored', // cut by a fault the game reported: no way to drain a build either
  server_stopped: 'censored', // cut by the stop
  host_lost: 'censored', // cut by the loss of the host
};

/** The fields of a session the forecast reads. */
export type SessionTimes = Pick<Session, 'openedAt' | 'closedAt' | 'closeReason'>;

export interface Sample {
  observations: Observation[];
  /** Closed sessions used, and how many of them counted as events. */
  closed: number;
  events: number;
  /** Open sessions used (censored at their current age). */
  open: number;
  /** Sessions opened at or before this time were left out (null: all history was used). */
  openedAfter: number | null;
}

/**
 * Builds the sample from a window of recently opened closed sessions and the open sessions.
 * `closed` is the newest page of closed sessions by opening time; when the page is `full`, older
 * closed sessions exist that were not read, so the sample becomes the *cohort* of sessions
 * opened after the page's oldest opening time — closed and open alike. Keeping old open
 * sessions while their closed contemporaries are missing would keep only that cohort's
 * survivors and make sessions look longer than they are.
 */
export function buildSample(closed: readonly SessionTimes[], open: readonly SessionTimes[], now: number, full: boolean): Sample {
  let openedAfter: number | null = null;
  if (full) for (const s of closed) openedAfter = openedAfter === null ? s.openedAt : Math.min(openedAfter, s.openedAt);
  const inWindow = (s: SessionTimes): boolean => openedAfter === null || s.openedAt > openedAfter;
  const observations: Observation[] = [];
  let nClosed = 0;
  let events = 0;
  for (const s of closed) {
    if (!inWindow(s) || s.closedAt === null || s.closeReason === null) continue;
    const event = CloseReasonRoles[s.closeReason] === 'event';
    // A clock step back between open and close must not make a negative length.
    observations.push({ time: Math.max(0, s.closedAt - s.openedAt), event });
    nClosed++;
    if (event) events++;
  }
  let nOpen = 0;
  for (const s of open) {
    if (!inWindow(s)) continue;
    observations.push({ time: Math.max(0, now - s.openedAt), event: false });
    nOpen++;
  }
  return { observations, closed: nClosed, events, open: nOpen, openedAfter };
}
