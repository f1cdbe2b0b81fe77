/**
 * Child process for the backup-under-load test: commits one allocation at a time, each batch
 * a session, its event and the running count in meta (so a consistent copy has exactly as many
 * sessions as events as the count says), and prints `acked N` after commit N resolves.
 * Usage: node --import tsx load.ts <data-dir | postgres://…>
 */
import { mkdirSync } from 'node:fs';
import { sampleEvent, sampleSession } from '../../fixtures.js';
import { openStore } from '../../open.js';
import { isPostgresUrl } from '../../postgres/url.js';

const where = process.argv[2];
if (where === undefined) throw new Error('usage: load.ts <data-dir | postgres://…>');

if (!isPostgresUrl(where)) mkdirSync(where, { recursive: true });
const store = await openStore(isPostgresUrl(where) ? where : null, where);
for (let n = 1; ; n++) {
  const id = `ses_${String(n).padStart(6, '0')}`;
  await store.commit([
    { kind: 'putSession', session: sampleSession({ id, playerId: `player-${n}` }) },
    { kind: 'appendEvent', event: sampleEvent({ subject: id }) },
    { kind: 'putMeta', key: 'allocations', value: String(n) },
  ]);
  process.stdout.write(`acked ${n}\n`);
}
