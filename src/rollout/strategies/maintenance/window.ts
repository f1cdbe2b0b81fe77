/**
 * The maintenance window's times, its checks, and the progress a maintenance release keeps in
 * `progressState`. Pure: `now` is a parameter.
 */
import { HandoffError } from '../../../core/errors.js';
import type { Rollout } from '../../model.js';
import type { StrategyStart } from '../../strategy.js';
import { MAX_SCHEDULE_AHEAD_MS, type MaintenanceSpec } from './spec.js';

/**
 * Slack for the request's own travel: a client that asks for a window "in 5 minutes with a
 * 5-minute notice" computes `startsAt` a moment before the control plane reads its clock.
 */
export const SCHEDULE_SLACK_MS = 1000;

/** What a maintenance release records as it goes (its `progressState`); times in ms since epoch. */
export interface MaintenanceProgress {
  /** The schedule, fixed at the start of the release: notice, start, expected end. */
  noticeAt: number;
  startsAt: number;
  endsAt: number;
  /** When the first maintenance notice went out, and to which servers so far. */
  noticeSentAt: number | null;
  noticed: string[];
  /** When allocations actually stopped (the first pass at or after `startsAt`). */
  startedAt: number | null;
  /** Builds other than the new one when the window opened: they retire, their servers were told to drain. */
  oldBuilds: string[];
  /** Servers told at the start to drain; only their sessions are ever closed. */
  drained: string[];
  /** When sessions still open are closed (`startedAt` + the session deadline), if ever. */
  sessionDeadlineAt: number | null;
  sessionsClosedAt: number | null;
  sessionsClosed: number;
  /** Fleet's maxServers at the start; `room` is what the old servers leave of it for the new build (in place). */
  maxServers: number;
  room: number;
  /** When allocations resumed on the new build; the downtime (planned) and how far past the expected end. */
  reopenedAt: number | null;
  downtimeMs: number | null;
  overrunMs: number | null;
  cancelledAt: number | null;
}

export function initialProgress(spec: MaintenanceSpec, start: Pick<StrategyStart, 'capacity'>): MaintenanceProgress {
  return {
    noticeAt: spec.startsAt - spec.noticeLeadSeconds * 1000,
    startsAt: spec.startsAt,
    endsAt: spec.startsAt + spec.durationSeconds * 1000,
    noticeSentAt: null, noticed: [], startedAt: null, oldBuilds: [], drained: [],
    sessionDeadlineAt: null, sessionsClosedAt: null, sessionsClosed: 0,
    maxServers: start.capacity.maxServers, room: 0,
    reopenedAt: null, downtimeMs: null, overrunMs: null, cancelledAt: null,
  };
}

/** The release's progress; a record missing it (not written by this strategy) gets a fresh one. */
export function progressOf(r: Pick<Rollout, 'progressState' | 'targetServers'> & { spec: MaintenanceSpec }): MaintenanceProgress {
  const fresh = initialProgress(r.spec, { capacity: { minServers: 0, maxServers: r.targetServers } });
  return { ...fresh, ...(r.progressState as Partial<MaintenanceProgress> | undefined) };
}

/** Servers of the new build the fleet has room for while old servers still run, and at most its target. */
export function newBuildTarget(r: Pick<Rollout, 'targetServers'>, p: Pick<MaintenanceProgress, 'room'>): number {
  return Math.min(r.targetServers, p.room);
}

/**
 * What the schema cannot say: the window must lie ahead (but not absurdly far), the notice must
 * still be possible in full, and sessions must be closed before the window is expected to end.
 */
export function validateWindow(spec: MaintenanceSpec, now: number): void {
  const left = spec.startsAt - now;
  const invalid = (field: keyof MaintenanceSpec, message: string): HandoffError =>
    new HandoffError('ROLLOUT_INVALID_SPEC', message, { field, startsAt: spec.startsAt, now });
  if (left + SCHEDULE_SLACK_MS < 0) {
    throw invalid('startsAt', `the maintenance window starts ${seconds(-left)} in the past (startsAt is in ms since epoch, or ISO 8601)`);
  }
  if (left > MAX_SCHEDULE_AHEAD_MS) {
    throw invalid('startsAt', `the maintenance window starts more than a year ahead; is startsAt in milliseconds?`);
  }
  if (left + SCHEDULE_SLACK_MS < spec.noticeLeadSeconds * 1000) {
    throw invalid('noticeLeadSeconds', `the notice lead (${spec.noticeLeadSeconds}s) is longer than the time left before the window (${seconds(Math.max(0, left))}): start the window later or shorten the lead`);
  }
  if (spec.sessionDeadlineSeconds !== null && spec.sessionDeadlineSeconds > spec.durationSeconds) {
    throw invalid('sessionDeadlineSeconds', `the session deadline (${spec.sessionDeadlineSeconds}s) falls after the window's expected end (${spec.durationSeconds}s)`);
  }
}

function seconds(ms: number): string {
  return `${Math.floor(ms / 1000)}s`;
}

/** The text players see when the game has none of its own: no clock time, the notice carries `startsAt`. */
export function noticeMessage(spec: MaintenanceSpec): string {
  return spec.message ?? `Scheduled maintenance: new games stop at the announced time, for about ${minutes(spec.durationSeconds)}`;
}

function minutes(s: number): string {
  return s < 120 ? `${s} seconds` : `${Math.round(s / 60)} minutes`;
}
