import pg from 'pg';
import { redactTargets } from './targets.js';

const INT8_OID = 20;

/**
 * Pool settings for `url`. bigint columns (times in ms, event seqs) come back as numbers rather
 * than pg's default strings: every value Handoff stores is far below 2^53. Set per pool, not
 * through pg's global type registry, so nothing else in the process is affected.
 */
export function connectionConfig(url: string): pg.PoolConfig {
  const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;
  return { connectionString: url, types: { getTypeParser } };
}

/** `url` without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Several hosts (h1:5432,h2:5432) are not a WHATWG URL, but are a libpq one.
    return isPostgresUrl(url) ? redactTargets(url) : 'an unparsable PostgreSQL URL';
  }
}

/** Whether `--store VALUE` names a PostgreSQL database rather than a file path. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}
