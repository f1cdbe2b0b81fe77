/**
 * Child process for the kill -9 durability test: commits one allocation-shaped batch at a
 * time and prints `acked N` only after commit N has resolved, until it is killed.
 * Usage: node --import tsx commit-loop.ts <db-path>
 */
import { sampleEvent, sampleSession } from '../../fixtures.js';
import { SqliteStore } from '../sqlite-store.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: commit-loop.ts <db-path>');

// Checkpoints far more often than in production (every 5 ms, and a TRUNCATE every 64 KiB of
// WAL), so the kill lands while the worker thread is copying and rewinding the WAL.
const store = SqliteStore.open(path, { checkpoint: { intervalMs: 5, maxWalBytes: 64 * 1024 } });
for (let n = 1; ; n++) {
  const id = `ses_${n}`;
  await store.commit([
    { kind: 'putSession', session: sampleSession({ id, playerId: `player-${n}` }) },
    { kind: 'appendEvent', event: sampleEvent({ subject: id }) },
  ]);
  process.stdout.write(`acked ${n}\n`);
}
