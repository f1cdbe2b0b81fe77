/**
 * The SQL of `listSessions` for the SQLite store. Which index serves which filter (schema
 * migrations 1, 8 and 9), the first that applies:
 *
 * | filter                       | index                                   |
 * |------------------------------|-----------------------------------------|
 * | player (with any other)      | `sessions_by_player`                    |
 * | server, open                 | `sessions_open_by_server` (partial)     |
 * | server, closed               | `sessions_closed_by_server` (partial)   |
 * | server, either               | both partial ones, one arm each         |
 * | fleet (open or not)          | `sessions_by_fleet`                     |
 * | open only                    | `sessions_open` (partial)               |
 *
 * The server index is split by openness so that an allocation, which inserts an open session,
 * does not write a server index of all sessions too: each index an insert touches is one more
 * B-tree page written per group commit (docs/performance.md). A server's open sessions are at
 * most its capacity, so sorting them is cheap.
 */
import type { SessionQuery } from '../port.js';
import { where, type Condition } from './sql.js';

const ORDER = 'ORDER BY opened_at DESC, id DESC';

export function sessionListSql(q: SessionQuery): { sql: string; params: unknown[] } {
  // The most selective filter leads (a player's sessions, then a server's, then a fleet's); the
  // others get SQLite's unary `+`, which keeps them out of index choice. Without it, and without
  // ANALYZE statistics, SQLite may walk a fleet's open sessions in order looking for one player.
  const lead = q.playerId !== undefined ? 'player_id' : q.server !== undefined ? 'server' : 'fleet';
  const eq = (column: string, value: string | undefined): Condition | undefined =>
    value === undefined ? undefined : [`${column === lead ? '' : '+'}${column} = ?`, value];
  const common: (Condition | undefined)[] = [eq('fleet', q.fleet), eq('player_id', q.playerId), eq('server', q.server)];
  // Literals, not parameters, so SQLite can use the partial indexes on open or closed sessions.
  const openness = (open: boolean): string => (open ? 'open = 1' : 'open = 0');
  if (q.server !== undefined && q.playerId === undefined && q.open === undefined) {
    // No index holds all of a server's sessions: its open ones and its closed ones, each from
    // its own partial index, then one sort of that one server's sessions.
    const open = where([...common, openness(true)]);
    const closed = where([...common, openness(false)]);
    return {
      sql: `SELECT doc FROM (SELECT doc, opened_at, id FROM sessions${open.sql} UNION ALL SELECT doc, opened_at, id FROM sessions${closed.sql}) ${ORDER} LIMIT ?`,
      params: [...open.params, ...closed.params, q.limit],
    };
  }
  const w = where([...common, q.open === undefined ? undefined : openness(q.open)]);
  return { sql: `SELECT doc FROM sessions${w.sql} ${ORDER} LIMIT ?`, params: [...w.params, q.limit] };
}
