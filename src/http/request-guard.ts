/**
 * Who may talk to the control plane from where: pure decisions on request headers, so the
 * browser-facing threat model is tested in tables rather than through sockets.
 *
 * The threats (see docs/security.md):
 * - A page in the operator's browser sending a "simple" cross-origin request (no preflight) —
 *   refused by `Origin` / `Sec-Fetch-Site` here, and by the exact `application/json` rule in
 *   `body.ts`, which a simple request cannot meet.
 * - DNS rebinding: a hostile name resolving to 127.0.0.1 makes the browser treat our API as
 *   same-origin to the attacker's page. Its requests carry `Host: attacker.example`, so only the
 *   names this control plane is known by are answered.
 */
import { isIP } from 'node:net';
import type { ErrorCode } from '../core/errors.js';

export interface OriginPolicy {
  /** Host names (no port) requests may address: loopback names, the bind address, `--allowed-host`. */
  allowedHosts: ReadonlySet<string>;
  /** Accept any IP-literal Host (bound to a wildcard address behind no name). Names still must be listed. */
  anyIpHost: boolean;
  /** Cross-origin browser origins allowed, exact `scheme://host[:port]`; empty by default. */
  allowedOrigins: ReadonlySet<string>;
}

export interface GuardInput {
  host: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
}

export type GuardVerdict =
  | { ok: true; corsOrigin: string | null }
  | { ok: false; code: Extract<ErrorCode, 'HOST_NOT_ALLOWED' | 'ORIGIN_NOT_ALLOWED'>; detail: string };

export const LOOPBACK_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]', '::1'];

/** Builds the policy from the bind address and operator-configured names and origins. */
export function originPolicy(bindHost: string, extraHosts: readonly string[] = [], origins: readonly string[] = []): OriginPolicy {
  const hosts = new Set<string>(LOOPBACK_NAMES);
  const wildcard = bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '';
  if (!wildcard) hosts.add(normalizeHost(bindHost));
  for (const h of extraHosts) hosts.add(normalizeHost(h));
  return { allowedHosts: hosts, anyIpHost: wildcard, allowedOrigins: new Set(origins.map((o) => o.toLowerCase().replace(/\/+$/, ''))) };
}

/** Lower-cases a host name and brackets a bare IPv6 literal, so `::1` and `[::1]` compare equal. */
export function normalizeHost(host: string): string {
  const h = host.trim().toLowerCase();
  return isIP(h) === 6 ? `[${h}]` : h;
}

/** `example.com:7350` → `example.com`; `[::1]:7350` → `[::1]`. Undefined when malformed. */
export function hostName(hostHeader: string): string | undefined {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return undefined;
    const rest = h.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return isIP(h.slice(1, end)) === 6 ? h.slice(0, end + 1) : undefined;
  }
  const m = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(h);
  return m?.[1];
}

export function checkRequest(input: GuardInput, policy: OriginPolicy): GuardVerdict {
  if (input.host === undefined) return { ok: false, code: 'HOST_NOT_ALLOWED', detail: 'the request has no Host header' };
  const name = hostName(input.host);
  const hostOk = name !== undefined && (policy.allowedHosts.has(name) || (policy.anyIpHost && isIpLiteral(name)));
  if (!hostOk) return { ok: false, code: 'HOST_NOT_ALLOWED', detail: `Host "${input.host}" is not a name of this control plane` };

  if (input.origin === undefined) {
    // Browsers that omit Origin (a no-cors GET) still say where the request came from.
    const site = input.secFetchSite?.toLowerCase();
    if (site === 'cross-site' || site === 'same-site') {
      return { ok: false, code: 'ORIGIN_NOT_ALLOWED', detail: `a ${site} browser request without an allowed Origin` };
    }
    return { ok: true, corsOrigin: null };
  }
  const origin = input.origin.toLowerCase();
  // Same origin: the page was served by this control plane under the name the request uses.
  if (origin === `http://${input.host.toLowerCase()}` || origin === `https://${input.host.toLowerCase()}`) return { ok: true, corsOrigin: null };
  if (policy.allowedOrigins.has(origin)) return { ok: true, corsOrigin: input.origin };
  return { ok: false, code: 'ORIGIN_NOT_ALLOWED', detail: `Origin "${input.origin}" is not allowed (see --allowed-origin)` };
}

function isIpLiteral(name: string): boolean {
  return isIP(name) === 4 || (name.startsWith('[') && isIP(name.slice(1, -1)) === 6);
}

/**
 * `application/json`, optionally with `charset=utf-8`, and nothing else: the three media types
 * a cross-origin "simple" request may carry are all refused, and so are look-alikes such as
 * `text/plain;json` that a substring test would let through.
 */
export function isJsonMediaType(contentType: string): boolean {
  // What nearly every client sends, answered without splitting strings on the hot path.
  if (contentType === 'application/json') return true;
  const [type = '', ...params] = contentType.split(';');
  if (type.trim().toLowerCase() !== 'application/json') return false;
  return params.every((p) => {
    const [k = '', v = ''] = p.split('=');
    const key = k.trim().toLowerCase();
    const value = v.trim().toLowerCase().replace(/^"(.*)"$/, '$1');
    return key === '' || (key === 'charset' && value === 'utf-8');
  });
}
