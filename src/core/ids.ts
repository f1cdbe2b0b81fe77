import { randomBytes, randomUUID } from 'node:crypto';
import { sortableTime } from './sortable-time.js';

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
 * the same URL-safe set as `newId`'s (the time encoding: sortable-time.ts).
 */
export function newSortableId(prefix: string, now: number): string {
  return `${prefix}_${sortableTime(now)}${randomPart()}`;
}

function randomPart(): string {
  const u = randomUUID();
  const hex = u.slice(0, 8) + u.slice(9, 13) + u.slice(15, 18) + u.slice(20, 23);
  return Buffer.from(hex, 'hex').toString('base64url');
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}
