/**
 * Whether a migration token presented with an allocation places the player. Pure: the
 * signature has been read (`migration-token.ts`), the durable record looked up, `now` given.
 *
 * A token is good for one allocation of the player it was issued to, in the fleet it was issued
 * in, before it expires. Its record must exist (the control plane issued it and it has not
 * expired and been swept) and be unused; the allocator marks it used in the same commit as the
 * session it places, so a second use is refused even after a crash and restart.
 */
import type { MigrationClaims, ReadToken } from './migration-token.js';
import type { MigrationTokenRecord } from './model.js';

export const MigrationTokenRefusals = ['malformed', 'forged', 'other-fleet', 'other-player', 'expired', 'unknown', 'used'] as const;
export type MigrationTokenRefusal = (typeof MigrationTokenRefusals)[number];

export type MigrationTokenDecision =
  | { ok: true; claims: MigrationClaims; record: MigrationTokenRecord }
  | { ok: false; reason: MigrationTokenRefusal };

export interface MigrationTokenUse {
  read: ReadToken;
  /** The record of the token id the claims name, if the control plane holds one. */
  record: MigrationTokenRecord | undefined;
  fleet: string;
  playerId: string;
  now: number;
}

export function decideMigrationToken(u: MigrationTokenUse): MigrationTokenDecision {
  if (!u.read.ok) return { ok: false, reason: u.read.reason };
  const { claims } = u.read;
  if (claims.fleet !== u.fleet) return { ok: false, reason: 'other-fleet' };
  if (claims.playerId !== u.playerId) return { ok: false, reason: 'other-player' };
  if (claims.exp <= u.now) return { ok: false, reason: 'expired' };
  const r = u.record;
  // A record that disagrees with authentic claims was not issued with them: treat it as unknown.
  if (!r || r.playerId !== claims.playerId || r.fleet !== claims.fleet || r.build !== claims.build) return { ok: false, reason: 'unknown' };
  if (r.usedAt !== null) return { ok: false, reason: 'used' };
  return { ok: true, claims, record: r };
}
