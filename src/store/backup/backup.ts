/**
 * `handoff backup` / `handoff restore` without the command line: a consistent snapshot of
 * either store into a portable file (format.ts), and that file into an empty store of either
 * engine, all or nothing.
 */
import { createReadStream, createWriteStream, fsyncSync, openSync, closeSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { HandoffError } from '../../core/errors.js';
import { makePrivateFile } from '../../core/private-files.js';
import type { BackupSource, RestoreTarget } from './engine.js';
import { BackupFormat, BackupVersion, checkEnd, invalid, parseHeader, parseLine, type BackupHeader } from './format.js';

export interface BackupSummary {
  header: BackupHeader;
  rows: Record<string, number>;
}

/**
 * Writes `source`'s snapshot to `file`: first to `file.partial` (0600: the store holds the
 * join secret), fsynced, then renamed, so `file` is either absent or complete.
 */
export async function takeBackup(source: BackupSource, file: string, now: number): Promise<BackupSummary> {
  const partial = `${file}.partial`;
  const header: BackupHeader = { format: BackupFormat, version: BackupVersion, ...source.header, takenAt: now };
  const rows: Record<string, number> = {};
  try {
    makePrivateFile(partial);
    const out = createWriteStream(partial, { flags: 'w' });
    const write = async (record: unknown): Promise<void> => {
      if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
    };
    await write(header);
    for (const table of await source.tables()) {
      rows[table] = 0;
      for await (const row of source.rows(table)) {
        await write({ table, row });
        rows[table] += 1;
      }
    }
    await write({ end: true, rows });
    out.end();
    await once(out, 'finish');
    const fd = openSync(partial, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, file);
  } catch (e) {
    rmSync(partial, { force: true });
    throw e;
  } finally {
    await source.close();
  }
  return { header, rows };
}

/**
 * Loads `file` into `target` in one transaction. Refuses a target that holds state
 * (RESTORE_TARGET_NOT_EMPTY) and a file that is not a complete backup (BACKUP_INVALID), in
 * which case nothing is written.
 */
export async function restoreBackup(file: string, target: RestoreTarget): Promise<BackupSummary> {
  try {
    const known = await target.tables();
    if (!(await target.isEmpty(known))) throw new HandoffError('RESTORE_TARGET_NOT_EMPTY');
    let header: BackupHeader | null = null;
    let end: { rows: Record<string, number> } | null = null;
    const seen = new Map<string, number>();
    let n = 0;
    await target.begin();
    // Opened only now, right before it is iterated: readline starts reading at once and drops
    // the lines it reads while nobody iterates (a PostgreSQL BEGIN is a network round trip, long
    // enough under load to lose the header).
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        n += 1;
        if (header === null) {
          header = parseHeader(line);
          continue;
        }
        if (end !== null) throw invalid(`line ${n} follows the end record`);
        const record = parseLine(line, n);
        if ('end' in record) {
          end = record;
        } else if ('table' in record && typeof record.row === 'object' && record.row !== null) {
          if (!known.includes(record.table)) throw invalid(`table ${record.table} is unknown to this store`, { table: record.table });
          await target.insert(record.table, record.row);
          seen.set(record.table, (seen.get(record.table) ?? 0) + 1);
        } else {
          throw invalid(`line ${n} is not a backup record`);
        }
      }
      if (header === null) throw invalid('the file is empty');
      checkEnd(end, seen);
      await target.commit();
      return { header, rows: Object.fromEntries(seen) };
    } catch (e) {
      await target.rollback().catch(() => undefined);
      throw e;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw invalid(`${file} does not exist`);
    throw e;
  } finally {
    await target.close();
  }
}
