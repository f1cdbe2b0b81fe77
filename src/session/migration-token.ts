/**
 * Migration tokens: what a player migrated off an old build by a release carries to their next
 * allocation, so it lands on the release's build (with their party, ahead of other players).
 * HMAC-signed like join tokens, under a key derived from the same secret for this purpose only,
 * so neither kind of token can ever be passed off as the other. The claims bind the token to
 * one player of one fleet and one target build, and it expires; single use is enforced by its
 * durable record (`MigrationTokenRecord`), which `decide-migration-token.ts` checks.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface MigrationClaims {
  /** Token id: the id of the session the migration closed (also the record's id). */
  tid: string;
  fleet: string;
  playerId: string;
  partyId: string | null;
  /** The build the token places the player on. */
  build: string;
  /** Members of the player's party migrated together: the seats their first allocation looks for on one server. */
  seats: number;
  /** Expiry, ms since epoch. */
  exp: number;
}

/** Distinguishes the format (and its version) at a glance in logs and support tickets. */
const PREFIX = 'mt1.';

export type ReadToken = { ok: true; claims: MigrationClaims } | { ok: false; reason: 'malformed' | 'forged' };

export function signMigrationToken(secret: string, claims: MigrationClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${PREFIX}${body}.${mac(secret, body)}`;
}

/** The claims of an authentic token (expiry is not checked here: the decision takes `now`). */
export function readMigrationToken(secret: string, token: string): ReadToken {
  if (!token.startsWith(PREFIX)) return { ok: false, reason: 'malformed' };
  const rest = token.slice(PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot <= 0) return { ok: false, reason: 'malformed' };
  const body = rest.slice(0, dot);
  const given = Buffer.from(rest.slice(dot + 1));
  const expected = Buffer.from(mac(secret, body));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  try {
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as MigrationClaims;
    // Signed by us, so well-formed unless the format changed: check the fields the decision reads.
    const fields = [claims.tid, claims.fleet, claims.playerId, claims.build];
    if (fields.some((f) => typeof f !== 'string') || typeof claims.exp !== 'number' || typeof claims.seats !== 'number') {
      return { ok: false, reason: 'malformed' };
    }
    return { ok: true, claims };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}

function mac(secret: string, body: string): string {
  // A key of its own: the join-token key signs other claims and must never vouch for these.
  const key = createHmac('sha256', secret).update('handoff migration token v1').digest();
  return createHmac('sha256', key).update(body).digest('base64url');
}
