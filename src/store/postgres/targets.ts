/**
 * Multi-host connection strings, as libpq reads them and node-postgres (8.x) does not:
 * `postgres://user@h1:5432,h2:5433/db?target_session_attrs=read-write`. Pure: parsing a URL
 * into one single-host URL per host, and judging whether a server that answered may be used.
 * The I/O (connecting to each host in turn) is in connector.ts.
 */

/** The `target_session_attrs` values Handoff accepts; it writes, so it never wants a standby. */
export const SessionAttrs = ['any', 'read-write', 'primary'] as const;
export type SessionAttrs = (typeof SessionAttrs)[number];

export interface PgTargets {
  /** One URL per host, in the order given, each a plain single-host URL node-postgres accepts. */
  hosts: string[];
  /** `host:port` of each, for messages. */
  labels: string[];
  attrs: SessionAttrs;
}

/** What a server says about itself once connected. */
export interface ServerRole {
  inRecovery: boolean;
  readOnly: boolean;
}

/**
 * Splits `url` into one URL per host. `target_session_attrs` is removed from the per-host URLs
 * (node-postgres would pass it to the server as a startup parameter, which the server rejects).
 * Throws RangeError on a value Handoff cannot use (`read-only`, `standby`, …).
 */
export function parseTargets(url: string): PgTargets {
  const m = /^(postgres(?:ql)?:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!m) throw new RangeError('a PostgreSQL URL starts with postgres://');
  const [, scheme = '', authority = '', rest = ''] = m;
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const hostList = at >= 0 ? authority.slice(at + 1) : authority;
  const { tail, attrs } = takeAttrs(rest);
  const hosts = hostList.split(',').map((h) => h.trim());
  if (hosts.some((h) => h === '') && hosts.length > 1) throw new RangeError('a PostgreSQL URL lists an empty host');
  return {
    hosts: hosts.map((h) => `${scheme}${userinfo}${h}${tail}`),
    labels: hosts.map((h) => h || 'localhost'),
    attrs,
  };
}

function takeAttrs(rest: string): { tail: string; attrs: SessionAttrs } {
  const q = rest.indexOf('?');
  if (q < 0) return { tail: rest, attrs: 'any' };
  const params = new URLSearchParams(rest.slice(q + 1));
  const value = params.get('target_session_attrs') ?? 'any';
  if (!(SessionAttrs as readonly string[]).includes(value)) {
    throw new RangeError(`target_session_attrs=${value} is not supported: Handoff writes, so use read-write or primary`);
  }
  // Textually, so every other parameter keeps its exact encoding.
  const kept = rest.slice(q + 1).split('&').filter((p) => p.split('=')[0] !== 'target_session_attrs');
  return { tail: rest.slice(0, q) + (kept.length ? `?${kept.join('&')}` : ''), attrs: value as SessionAttrs };
}

/** Whether a server with `role` satisfies `attrs`; null if so, else why not (for the message). */
export function rejectReason(role: ServerRole, attrs: SessionAttrs): string | null {
  if (attrs === 'any') return null;
  if (attrs === 'primary') return role.inRecovery ? 'a standby (in recovery)' : null;
  if (role.inRecovery) return 'a standby (in recovery)';
  return role.readOnly ? 'read-only (default_transaction_read_only)' : null;
}

/**
 * SQLSTATE classes and codes after which the host in use may no longer be the writable one, so
 * the next connection should choose again: connection failures (08), the server shutting down
 * or starting (57P01–57P03), and a write refused by a standby or read-only server (25006).
 */
export function meansHostChanged(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const code = 'code' in e && typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '25006') return true;
  // Socket-level failures from node: the server is gone or unreachable.
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) return true;
  const message = 'message' in e && typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection is closed|Client has encountered a connection error/i.test(message);
}

/** `url` without its password, for messages and logs; works for multi-host URLs too. */
export function redactTargets(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}
