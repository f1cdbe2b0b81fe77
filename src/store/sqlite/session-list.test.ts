import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionQuery } from '../port.js';
import { applyMigrations } from './migrations.js';
import { sessionListSql } from './session-list.js';

/** The indexes SQLite's plan for a listing searches or scans, in plan order. */
function indexesOf(db: Database.Database, q: SessionQuery): string[] {
  const { sql, params } = sessionListSql(q);
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
  return plan.flatMap((r) => {
    if (/^SCAN sessions$/.test(r.detail)) return ['FULL SCAN'];
    const m = /^(?:SEARCH|SCAN) sessions USING (?:COVERING )?INDEX (\w+)/.exec(r.detail);
    return m?.[1] ? [m[1]] : [];
  });
}

describe('sessionListSql', () => {
  let db: Database.Database;
  beforeAll(() => {
    db = new Database(':memory:');
    applyMigrations(db);
  });
  afterAll(() => db.close());

  const f = 'arena';
  const p = 'player-1';
  const s = 'srv_1';
  it.each<[string, Omit<SessionQuery, 'limit'>, string[]]>([
    ['a player', { playerId: p }, ['sessions_by_player']],
    ['a player in a fleet, open', { fleet: f, playerId: p, open: true }, ['sessions_by_player']],
    ['a player on a server', { server: s, playerId: p }, ['sessions_by_player']],
    ['a player on a server, closed', { server: s, playerId: p, open: false }, ['sessions_by_player']],
    ['a server, open', { server: s, open: true }, ['sessions_open_by_server']],
    ['a server, closed', { server: s, open: false }, ['sessions_closed_by_server']],
    ['a server, open or closed', { server: s }, ['sessions_open_by_server', 'sessions_closed_by_server']],
    ['a server in a fleet', { fleet: f, server: s }, ['sessions_open_by_server', 'sessions_closed_by_server']],
    ['a fleet', { fleet: f }, ['sessions_by_fleet']],
    ['a fleet, open', { fleet: f, open: true }, ['sessions_by_fleet']],
    ['a fleet, closed', { fleet: f, open: false }, ['sessions_by_fleet']],
    ['open sessions', { open: true }, ['sessions_open']],
  ])('reads %s through its index, never the whole table', (_name, q, expected) => {
    expect(indexesOf(db, { limit: 10, ...q })).toEqual(expected);
  });

  it("lists a server's open and closed sessions together, newest first, up to the limit", () => {
    db.exec('DELETE FROM sessions');
    const insert = db.prepare('INSERT INTO sessions (id, fleet, server, player_id, open, opened_at, closed_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const rows: [string, string, number, number][] = [['ses_a', s, 1, 10], ['ses_b', s, 0, 20], ['ses_c', s, 1, 30], ['ses_d', 'srv_2', 1, 40], ['ses_e', s, 0, 50]];
    for (const [id, server, open, at] of rows) insert.run(id, f, server, p, open, at, open ? null : at + 1, JSON.stringify({ id }));
    const list = (q: SessionQuery) => {
      const { sql, params } = sessionListSql(q);
      return (db.prepare(sql).pluck().all(...params) as string[]).map((d) => (JSON.parse(d) as { id: string }).id);
    };
    expect(list({ limit: 10, server: s })).toEqual(['ses_e', 'ses_c', 'ses_b', 'ses_a']);
    expect(list({ limit: 2, server: s })).toEqual(['ses_e', 'ses_c']);
    expect(list({ limit: 10, server: s, fleet: 'other' })).toEqual([]);
  });
});
