import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { StoredEvent } from '../core/events.js';
import { PrivateDirMode, PrivateFileMode } from '../core/private-files.js';
import type { Session } from '../session/model.js';
import type { StateStore } from '../store/port.js';

/**
 * The archive format: JSON lines, one record each, `{"type":"event","record":{…}}` or
 * `{"type":"session","record":{…}}`, records exactly as the store returns them. The same lines
 * come from `handoff archive export` and from retention's own archive directory.
 */
export type ArchiveLine = { type: 'event'; record: StoredEvent } | { type: 'session'; record: Session };

export function archiveText(lines: readonly ArchiveLine[]): string {
  return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}

/**
 * Appends lines to `file` (created 0600 in a 0700 directory: events and sessions name players) and fsyncs it, so
 * records are on disk before the commit that deletes them.
 */
export async function appendArchive(file: string, lines: readonly ArchiveLine[]): Promise<void> {
  if (lines.length === 0) return;
  // Created on first use (private, like the data directory): an operator names it, need not make it.
  await mkdir(path.dirname(file), { recursive: true, mode: PrivateDirMode });
  const fh = await open(file, 'a', PrivateFileMode);
  try {
    await fh.appendFile(archiveText(lines));
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes every event that happened before `before` and every session closed before it, oldest
 * first, in pages, to `write`. Reads only: removing them is retention's job.
 */
export async function exportArchive(
  store: StateStore,
  before: number,
  write: (text: string) => Promise<void>,
  pageSize = 1_000,
): Promise<{ events: number; sessions: number }> {
  let events = 0;
  let afterSeq: number | undefined;
  for (;;) {
    const page = await store.listEvents(afterSeq === undefined ? { limit: pageSize } : { limit: pageSize, afterSeq });
    const due = page.filter((e) => e.at < before);
    if (due.length > 0) await write(archiveText(due.map((record) => ({ type: 'event', record }))));
    events += due.length;
    if (page.length < pageSize) break;
    afterSeq = page.at(-1)?.seq;
  }
  let sessions = 0;
  let after: { closedAt: number; id: string } | undefined;
  for (;;) {
    const page = await store.listClosedSessions(after ? { limit: pageSize, closedBefore: before, after } : { limit: pageSize, closedBefore: before });
    if (page.length > 0) await write(archiveText(page.map((record) => ({ type: 'session', record }))));
    sessions += page.length;
    const last = page.at(-1);
    if (page.length < pageSize || !last) break;
    after = { closedAt: last.closedAt ?? 0, id: last.id };
  }
  return { events, sessions };
}
