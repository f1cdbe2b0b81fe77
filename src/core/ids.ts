import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Short, URL-safe ids with a readable prefix: `srv_k3j2...`, 72 random bits.
 *
 * The bits come from `randomUUID`, not `randomBytes(9)`: Node serves UUIDs from an entropy cache
 * it refills in bulk, while each `randomBytes` call is its own trip into OpenSSL. One id is made
 * per allocation, and the profile of the allocation path showed `randomBytes` in it (docs/performance.md).
 * A v4 UUID's hex has 122 random digits' worth of bits; the 18 hex digits taken here skip its
 * fixed version digit (index 14) and its variant digit (index 19).
 */
export function newId(prefix: string): string {
  return `${prefix}_${randomPart()}`;
}

/**
 * An id whose text sorts by creation time: the prefix, 7 characters of `now` (milliseconds, in
 * an alphabet in ASCII order), then the same 72 random bits as `newId`. For records inserted at
 * a high rate into a B-tree keyed by id (sessions: one per allocation): a random key dirties a
 * random page of the id index on every insert, a time-ordered one lands on the index's right
 * edge, so a group commit of many sessions writes one or two pages of it instead of one each
 * (docs/performance.md measures it). Clients treat ids as opaque strings; the characters are
 * the same URL-safe set as `newId`'s. 42 bits of milliseconds last until 2109; a time outside
 * them is clamped, which keeps ids valid and unique, only no longer sorted.
 */
export function newSortableId(prefix: string, now: number): string {
  const t = Math.min(Math.max(0, Math.floor(now)), TIME_LIMIT - 1);
  let time = '';
  for (let shift = TIME_DIGITS - 1; shift >= 0; shift--) time += SORTABLE.charAt(Math.floor(t / 64 ** shift) % 64);
  return `${prefix}_${time}${randomPart()}`;
}

/** The 64 URL-safe characters in ASCII order, so that SQLite's (and PostgreSQL's "C") text order is time order. */
const SORTABLE = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const TIME_DIGITS = 7;
const TIME_LIMIT = 64 ** TIME_DIGITS;

function randomPart(): string {
  const u = randomUUID();
  const hex = u.slice(0, 8) + u.slice(9, 13) + u.slice(15, 18) + u.slice(20, 23);
  return Buffer.from(hex, 'hex').toString('base64url');
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}
