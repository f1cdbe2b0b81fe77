/**
 * A millisecond time as 7 URL-safe characters whose plain byte order is time order: the time
 * prefix of `newSortableId` (ids.ts). Its own module so that the seeded id stream of the
 * simulation tests (test/sim/seeded-ids.ts, which stands in for ids.ts) makes ids of the same shape.
 */

/** The 64 URL-safe characters in ASCII order, so that SQLite's (and PostgreSQL's "C") text order is time order. */
const SORTABLE = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const DIGITS = 7;
const LIMIT = 64 ** DIGITS;

/** 42 bits of milliseconds last until 2109; a time outside them is clamped (ids stay unique, only no longer sorted). */
export function sortableTime(now: number): string {
  const t = Math.min(Math.max(0, Math.floor(now)), LIMIT - 1);
  let out = '';
  for (let shift = DIGITS - 1; shift >= 0; shift--) out += SORTABLE.charAt(Math.floor(t / 64 ** shift) % 64);
  return out;
}
