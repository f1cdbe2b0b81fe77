import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Short, sortable-enough, URL-safe ids with a readable prefix: `srv_k3j2...`, 72 random bits.
 *
 * The bits come from `randomUUID`, not `randomBytes(9)`: Node serves UUIDs from an entropy cache
 * it refills in bulk, while each `randomBytes` call is its own trip into OpenSSL. One id is made
 * per allocation, and the profile of the allocation path showed `randomBytes` in it (docs/performance.md).
 * A v4 UUID's hex has 122 random digits' worth of bits; the 18 hex digits taken here skip its
 * fixed version digit (index 14) and its variant digit (index 19).
 */
export function newId(prefix: string): string {
  const u = randomUUID();
  const hex = u.slice(0, 8) + u.slice(9, 13) + u.slice(15, 18) + u.slice(20, 23);
  return `${prefix}_${Buffer.from(hex, 'hex').toString('base64url')}`;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}
