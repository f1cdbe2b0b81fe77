import { z } from 'zod';
import { seconds } from '../../checks.js';

/** A scheduled, in-place maintenance window: the fleet closes, restarts on the new build, reopens. */
export interface MaintenanceSpec {
  strategy: 'maintenance';
  /** When allocations stop (ms since epoch). */
  startsAt: number;
  /** How long the window is expected to last: refused players are told to come back at its end. */
  durationSeconds: number;
  /** How long before `startsAt` every game server gets the maintenance notice (0: at the start). */
  noticeLeadSeconds: number;
  /**
   * Seconds after the window opens at which sessions still open are closed with reason
   * `maintenance`; null: they end when their players leave (the old build stays until then).
   */
  sessionDeadlineSeconds: number | null;
  /** What the game shows its players; null: a default naming the start time. */
  message: string | null;
  /** Give up (back to the old build) when this many servers of the new build fail to start. */
  maxStartFailures: number;
}

/** A year: a later start is almost surely seconds or microseconds mistaken for milliseconds. */
export const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3600 * 1000;

/**
 * `startsAt` as milliseconds since the epoch, or an ISO 8601 date-time with a zone
 * (`2030-01-01T04:00:00Z`, `…+02:00`). Parsing a given text reads no clock, which is why
 * `Date.parse` is allowed in this otherwise pure module.
 */
const instant = z.union([
  z.number().int().positive(),
  // eslint-disable-next-line no-restricted-globals -- Date.parse is a pure function of its text
  z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)),
]);

/** The options of a maintenance release, with their defaults. */
export const maintenanceOptions = {
  startsAt: instant,
  durationSeconds: z.number().int().min(1).max(7 * 24 * 3600),
  noticeLeadSeconds: seconds.max(7 * 24 * 3600),
  sessionDeadlineSeconds: seconds.nullable().default(null),
  message: z.string().min(1).max(500).nullable().default(null),
  maxStartFailures: z.number().int().min(1).default(3),
};
