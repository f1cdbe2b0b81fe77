/**
 * Join tokens: what a player presents to the game server it was allocated to. HMAC-signed by
 * the control plane, so the game server can have it verified through the SDK without the
 * player being able to forge a seat on another server.
 */
import { createHash, timingSafeEqual, type Hash } from 'node:crypto';

export interface JoinClaims {
  sessionId: string;
  serverId: string;
  playerId: string;
  /** Expiry, ms since epoch. */
  exp: number;
}

export function signJoinToken(secret: string, claims: JoinClaims): string {
  return new JoinTokenKey(secret).sign(claims);
}

/** Returns the claims when the token is authentic and unexpired at `now`, else undefined. */
export function verifyJoinToken(secret: string, token: string, now: number): JoinClaims | undefined {
  return new JoinTokenKey(secret).verify(token, now);
}

/**
 * One secret's signer. Every allocation signs a token, and `createHmac` sets the key up again on
 * each call (hashing both padded key blocks): the allocation profile showed it at ~8 % of the
 * main thread (docs/performance.md). Here the two hash states after the padded key blocks are
 * computed once and copied per token — HMAC as RFC 2104 defines it, the same bytes `createHmac`
 * gives (a property test compares them).
 */
export class JoinTokenKey {
  private readonly inner: Hash;
  private readonly outer: Hash;

  constructor(secret: string) {
    const block = 64;
    let key = Buffer.from(secret, 'utf8');
    if (key.length > block) key = createHash('sha256').update(key).digest();
    const ipad = Buffer.alloc(block, 0x36);
    const opad = Buffer.alloc(block, 0x5c);
    for (let i = 0; i < key.length; i++) {
      ipad[i] = (ipad[i] ?? 0) ^ (key[i] ?? 0);
      opad[i] = (opad[i] ?? 0) ^ (key[i] ?? 0);
    }
    this.inner = createHash('sha256').update(ipad);
    this.outer = createHash('sha256').update(opad);
  }

  sign(claims: JoinClaims): string {
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  verify(token: string, now: number): JoinClaims | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.mac(body));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as JoinClaims;
      return typeof claims.exp === 'number' && claims.exp > now ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  /** HMAC-SHA256 of `body`, base64url. */
  mac(body: string): string {
    return this.outer.copy().update(this.inner.copy().update(body).digest()).digest('base64url');
  }
}
