import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A host's agent token: an HMAC of the host id under the control plane's host secret. Stateless
 * (nothing to store per host) and bound to one host: another host's token does not verify.
 */
export function hostToken(secret: string, hostId: string): string {
  return createHmac('sha256', secret).update(`handoff-host\u0000${hostId}`).digest('base64url');
}

/** Constant-time check of `token` against the token of `hostId`. */
export function verifyHostToken(secret: string, hostId: string, token: string): boolean {
  const expected = Buffer.from(hostToken(secret, hostId));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
