/**
 * `handoff archive export --to FILE [--before DATE] [--data-dir DIR]`: writes the events that
 * happened before DATE and the sessions closed before it as JSON lines (see archive.ts), read
 * straight from the control plane's SQLite file. It only reads, so it is safe while the server
 * runs (SQLite's WAL lets a reader in beside the writer); removing records is retention's job.
 */
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PrivateFileMode } from '../core/private-files.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { exportArchive } from './archive.js';

export const ArchiveUsage = `Usage: handoff archive export --to FILE [--before DATE] [--data-dir DIR]

Writes events that happened before DATE and sessions closed before it to FILE as JSON
lines ({"type":"event"|"session","record":{…}}), oldest first. Reads the control plane's
SQLite state under --data-dir (default ./.handoff); safe while the server runs.
Records are not removed: retention does that (handoff server --retain-* flags; with
--retain-archive-dir it archives what it removes itself).

  --to FILE        where to write (created 0600; an existing file is appended to)
  --before DATE    ISO date or date-time, e.g. 2026-01-31 (default: now, i.e. everything)
  --data-dir DIR   the control plane's data directory (default ./.handoff)
  -h, --help
`;

/** Returns the exit status: 0 ok, 1 failure, 2 usage error. */
export async function runArchiveCommand(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<0 | 1 | 2> {
  let values: { to?: string | undefined; before?: string | undefined; 'data-dir'?: string | undefined; help?: boolean | undefined };
  let sub: string | undefined;
  try {
    const parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { to: { type: 'string' }, before: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    values = parsed.values;
    sub = parsed.positionals[0];
  } catch (e) {
    err(`error: ${e instanceof Error ? e.message : String(e)}\n${ArchiveUsage}`);
    return 2;
  }
  if (values.help) {
    out(ArchiveUsage);
    return 0;
  }
  if (sub !== 'export' || !values.to) {
    err(ArchiveUsage);
    return 2;
  }
  const before = values.before === undefined ? Date.now() : Date.parse(values.before);
  if (!Number.isFinite(before)) {
    err(`error: --before must be an ISO date, got ${values.before}`);
    return 2;
  }
  const dbPath = path.join(path.resolve(values['data-dir'] ?? '.handoff'), 'handoff.db');
  if (!existsSync(dbPath)) {
    err(`error: no Handoff state at ${dbPath} (--data-dir)`);
    return 1;
  }
  const store = SqliteStore.open(dbPath, { checkpoint: false });
  const fh = await open(values.to, 'a', PrivateFileMode);
  try {
    const counts = await exportArchive(store, before, async (text) => void (await fh.appendFile(text)));
    await fh.sync();
    out(`archived ${counts.events} events and ${counts.sessions} closed sessions from before ${new Date(before).toISOString()} to ${values.to}`);
    return 0;
  } finally {
    await fh.close();
    await store.close();
  }
}
