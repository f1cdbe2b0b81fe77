/**
 * `handoff backup --to FILE` and `handoff restore --from FILE`. They work on the store itself,
 * not through the API: a backup reads a consistent snapshot while a control plane serves; a
 * restore needs the control plane stopped (it refuses a locked data directory) and an empty
 * store. Exit codes as the rest of the CLI: 0 ok, 1 error, 2 usage.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isHandoffError } from '../../core/errors.js';
import { isPostgresUrl, redactUrl } from '../postgres/url.js';
import { restoreBackup, takeBackup, type BackupSummary } from './backup.js';
import type { BackupSource, RestoreTarget } from './engine.js';

export const BackupUsage = `Usage: handoff backup --to FILE [--data-dir DIR | --store URL]

Writes a consistent snapshot of the state store to FILE (mode 0600: it holds the join
secret), while a control plane keeps serving. The file is portable: it restores into either
store. See docs/backups.md.

  --to FILE        where to write the backup (written to FILE.partial, then renamed)
  --data-dir DIR   the SQLite store of this data directory (default ./.handoff)
  --store URL      the PostgreSQL store postgres://user@host:port/db instead`;

export const RestoreUsage = `Usage: handoff restore --from FILE [--data-dir DIR | --store URL]

Loads a backup into an empty store, all or nothing. Stop the control plane first: a data
directory in use is refused (RESTORE_TARGET_IN_USE), and so is a store that already holds
state (RESTORE_TARGET_NOT_EMPTY). See docs/backups.md for the restore drill.

  --from FILE      the backup to load
  --data-dir DIR   restore into this data directory's SQLite store (default ./.handoff)
  --store URL      restore into the PostgreSQL store postgres://user@host:port/db instead`;

interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** Runs `handoff backup` or `handoff restore`; resolves to the exit code. */
export async function runBackupCli(command: 'backup' | 'restore', argv: readonly string[], io: Io, cwd = process.cwd()): Promise<0 | 1 | 2> {
  const usage = command === 'backup' ? BackupUsage : RestoreUsage;
  const fileFlag = command === 'backup' ? 'to' : 'from';
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { [fileFlag]: { type: 'string' }, 'data-dir': { type: 'string' }, store: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (e) {
    io.err(`error: ${e instanceof Error ? e.message : String(e)}\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const file = values[fileFlag];
  const store = values.store;
  const usageError = typeof file !== 'string' ? `--${fileFlag} FILE is required`
    : store !== undefined && values['data-dir'] !== undefined ? '--data-dir and --store name two different stores; give one'
    : typeof store === 'string' && !isPostgresUrl(store) ? '--store must be a postgres:// URL'
    : null;
  if (usageError || typeof file !== 'string') {
    io.err(`error: ${usageError}\n${usage}`);
    return 2;
  }
  const dataDir = path.resolve(cwd, typeof values['data-dir'] === 'string' ? values['data-dir'] : '.handoff');
  const where = typeof store === 'string' ? redactUrl(store) : dataDir;
  const target = path.resolve(cwd, file);
  try {
    const started = Date.now();
    const summary = command === 'backup'
      ? await takeBackup(await openSource(store, dataDir), target, started)
      : await restoreBackup(target, await openTarget(store, dataDir));
    const verb = command === 'backup' ? `backed up ${summary.header.source} store ${where} to ${target}` : `restored ${target} (a ${summary.header.source} backup) into ${where}`;
    io.out(`${verb} in ${Date.now() - started} ms: ${describe(summary)}`);
    return 0;
  } catch (e) {
    io.err(isHandoffError(e) ? `error ${e.code}: ${e.message}${e.details?.cause ? ` (${String(e.details.cause)})` : ''}` : `error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

async function openSource(store: string | undefined, dataDir: string): Promise<BackupSource> {
  if (store) return (await import('./postgres.js')).postgresSource(store);
  return (await import('./sqlite.js')).sqliteSource(dataDir);
}

async function openTarget(store: string | undefined, dataDir: string): Promise<RestoreTarget> {
  if (store) return (await import('./postgres.js')).postgresTarget(store);
  return (await import('./sqlite.js')).sqliteTarget(dataDir);
}

function describe(s: BackupSummary): string {
  const rows = Object.entries(s.rows).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`);
  return rows.length > 0 ? rows.join(', ') : 'no rows';
}
