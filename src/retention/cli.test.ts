import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleEvent, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { ArchiveLine } from './archive.js';
import { runArchiveCommand } from './cli.js';

describe('handoff archive export', () => {
  let dir: string;
  const out: string[] = [];
  const err: string[] = [];
  const run = (argv: string[]) => runArchiveCommand(argv, (s) => out.push(s), (s) => err.push(s));

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'handoff-archive-cli-'));
    out.length = 0;
    err.length = 0;
    const store = SqliteStore.open(path.join(dir, 'handoff.db'), { checkpoint: false });
    await store.commit([
      { kind: 'appendEvent', event: sampleEvent({ at: Date.UTC(2026, 0, 10), subject: 'january' }) },
      { kind: 'appendEvent', event: sampleEvent({ at: Date.UTC(2026, 2, 10), subject: 'march' }) },
      { kind: 'putSession', session: sampleSession({ id: 'ses_jan', state: 'Closed', closedAt: Date.UTC(2026, 0, 11), closeReason: 'ended' }) },
    ]);
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the records from before the date as JSON lines and leaves the store as it was', async () => {
    const file = path.join(dir, 'archive.jsonl');
    expect(await run(['export', '--to', file, '--before', '2026-02-01', '--data-dir', dir])).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ArchiveLine);
    expect(lines.map((l) => (l.type === 'event' ? l.record.subject : l.record.id))).toEqual(['january', 'ses_jan']);
    expect(out.join('\n')).toContain('archived 1 events and 1 closed sessions');
    const store = SqliteStore.open(path.join(dir, 'handoff.db'), { checkpoint: false });
    expect(await store.listEvents({ limit: 10 })).toHaveLength(2);
    await store.close();
  });

  it.each([
    [['export'], 2],
    [['export', '--to', 'x.jsonl', '--before', 'last tuesday'], 2],
    [['import', '--to', 'x.jsonl'], 2],
  ])('refuses %j with a usage error', async (argv, code) => {
    expect(await run([...argv, '--data-dir', dir])).toBe(code);
    expect(err.join('\n')).not.toBe('');
  });

  it('fails when the data directory holds no state', async () => {
    expect(await run(['export', '--to', path.join(dir, 'a.jsonl'), '--data-dir', path.join(dir, 'nowhere')])).toBe(1);
    expect(err.join('\n')).toContain('no Handoff state');
  });
});
