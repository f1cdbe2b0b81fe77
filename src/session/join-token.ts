/**
 * Join tokens: what a player presents to the game server it was allocated to. HMAC-signed by
 * the control plane, so the game server can have it verified through the SDK without the
 * player being able to forge a seat on another server.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface JoinClaims {
  sessionId: string;
  serverId: string;
  playerId: string;
  /** Expiry, ms since epoch. */
  exp: number;
}

export function signJoinToken(secret: string, claims: JoinClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

/** Returns the claims when the token is authentic and unexpired at `now`, else undefined. */
export function verifyJoinToken(secret: string, token: string, now: number): JoinClaims | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(mac(secret, body));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as JoinClaims;
    return typeof claims.exp === 'number' && claims.exp > now ? claims : undefined;
  } catch {
    return undefined;
  }
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}
