/**
 * Signing webhook bodies. The header is `Handoff-Signature: t=<ms since epoch>,v1=<hex>`, where
 * the hex is HMAC-SHA256(secret, `${t}.${body}`). Signing the timestamp with the body lets a
 * receiver refuse replays: verify the MAC, then that `t` is recent (5 minutes by default).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SignatureHeader = 'handoff-signature';

export function sign(secret: string, body: string, at: number): string {
  return `t=${at},v1=${mac(secret, body, at)}`;
}

/** The receiver's side, exported for tests and as the reference for docs/notifications.md. */
export function verify(secret: string, body: string, header: string | null, now: number, toleranceMs = 5 * 60_000): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isFinite(t) || !v1 || Math.abs(now - t) > toleranceMs) return false;
  const expected = Buffer.from(mac(secret, body, t), 'hex');
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function mac(secret: string, body: string, at: number): string {
  return createHmac('sha256', secret).update(`${at}.${body}`).digest('hex');
}
