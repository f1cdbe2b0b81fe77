/**
 * Before/after of the allocation commit (docs/performance.md): the real SqliteStore committing
 * new open sessions in group commits, on a real file, three ways:
 *   before:  SQLite schema 8 (an index of all of a server's sessions), random session ids, and a
 *            WAL cut to zero by TRUNCATE when full, so commits grow the file again;
 *   +schema: schema 9 (that index holds closed sessions only) and time-ordered ids (newSortableId);
 *   +WAL:    and the full WAL rewound by RESTART (checkpoint-policy.ts), so commits overwrite it.
 * Two data shapes: the bench's (4 servers filled in turn, sequential player ids) and a spread one
 * (2,000 servers, random player ids, a larger table). Main-thread work is what is compared: the
 * fsync is a no-op here (in the product it runs on libuv's pool), the WAL is checkpointed between
 * rounds from another connection (each round fills it as a stretch of writes between two rewinds
 * does), and time is process CPU (user + system), not wall time, so a neighbour holding the core
 * does not count. Not part of `npm run bench`; run it by hand:
 *
 *   node --import tsx bench/commit-path.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { newId, newSortableId } from '../src/core/ids.js';
import { sampleSession, sampleTime } from '../src/store/fixtures.js';
import type { Mutation } from '../src/store/port.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { round } from './stats.js';

interface Shape {
  name: string;
  preload: number;
  server: (i: number) => string;
  player: (i: number) => string;
}

const shapes: Shape[] = [
  { name: 'bench-like', preload: 20_000, server: (i) => `srv_${Math.floor(i / 10_000)}`, player: (i) => `r1-ep0-${i}` },
  { name: 'spread', preload: 100_000, server: (i) => `srv_${i % 2_000}`, player: () => `p-${Math.floor(Math.random() * 1e12)}` },
];
const BATCHES = [2, 28];
const PER_ROUND = 5_000;
const ROUNDS = 5;

/** Schema 8's server index, put back over schema 9 for the "before" store. */
const SCHEMA_8 = 'DROP INDEX sessions_closed_by_server; CREATE INDEX sessions_by_server ON sessions (server, opened_at DESC, id DESC);';

interface Side {
  name: string;
  rewind: 'TRUNCATE' | 'RESTART';
  store: SqliteStore;
  admin: Database.Database;
  id: (now: number) => string;
  cpu: number[];
}

async function openSide(dir: string, name: string, before: boolean, rewind: Side['rewind']): Promise<Side> {
  const path = join(dir, `${name}.db`);
  await SqliteStore.open(path, { checkpoint: false }).close();
  const admin = new Database(path);
  if (before) admin.exec(SCHEMA_8);
  const store = SqliteStore.open(path, { checkpoint: false, fsync: (_fd, done) => done(null) });
  return { name, rewind, store, admin, id: before ? () => newId('ses') : (now) => newSortableId('ses', now), cpu: [] };
}

function session(side: Side, shape: Shape, i: number, open: boolean): Mutation {
  const openedAt = sampleTime + i;
  return {
    kind: 'putSession',
    session: sampleSession({
      id: side.id(openedAt), server: shape.server(i), playerId: shape.player(i), openedAt, connectedAt: null,
      ...(open ? { state: 'Reserved', closedAt: null, closeReason: null } : { state: 'Closed', closedAt: openedAt + 60_000, closeReason: 'ended' }),
    }),
  };
}

async function run(shape: Shape, batch: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-commit-path-'));
  const sides = [await openSide(dir, 'before', true, 'TRUNCATE'), await openSide(dir, '+schema', false, 'TRUNCATE'), await openSide(dir, '+WAL', false, 'RESTART')];
  try {
    for (const side of sides) {
      // Most of an aged table is closed history.
      for (let i = 0; i < shape.preload; i += 2_000) {
        await side.store.commit(Array.from({ length: Math.min(2_000, shape.preload - i) }, (_, k) => session(side, shape, i + k, (i + k) % 5 === 0)));
      }
      side.admin.pragma('wal_checkpoint(TRUNCATE)');
    }
    let next = shape.preload;
    // Round 0 is not counted: it warms up, and gives a RESTART a full WAL file to rewind.
    for (let r = 0; r <= ROUNDS; r++) {
      const from = next;
      next += PER_ROUND;
      for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
        const batches: Mutation[][] = [];
        for (let i = from; i < from + PER_ROUND; i += batch) batches.push(Array.from({ length: batch }, (_, k) => session(side, shape, i + k, true)));
        const start = process.cpuUsage();
        for (const m of batches) await side.store.commit(m);
        const used = process.cpuUsage(start);
        if (r > 0) side.cpu.push((used.user + used.system) / PER_ROUND);
        side.admin.pragma(`wal_checkpoint(${side.rewind})`);
      }
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const [b, ...rest] = sides.map((s) => med(s.cpu)) as [number, ...number[]];
    const after = rest.map((a, i) => `${sides[i + 1]?.name} ${round(a, 1)} µs (${round((1 - a / b) * 100, 0)} % less)`).join(', ');
    process.stdout.write(`${shape.name}, batches of ${batch}: CPU per session before ${round(b, 1)} µs, ${after}; medians of ${ROUNDS} rounds of ${PER_ROUND}\n`);
  } finally {
    for (const side of sides) {
      side.admin.close();
      await side.store.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const shape of shapes) for (const batch of BATCHES) await run(shape, batch);
