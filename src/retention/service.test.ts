import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { sampleEvent, sampleSession } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { exportArchive, type ArchiveLine } from './archive.js';
import { resolveRetentionPolicy } from './plan.js';
import { RetentionService } from './service.js';

const DayMs = 86_400_000;

describe('RetentionService', () => {
  let dir: string;
  let store: SqliteStore;
  const clock = new FakeClock(Date.UTC(2026, 5, 1));
  const now = clock.now();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'handoff-retention-'));
    store = SqliteStore.open(':memory:');
    await store.commit([
      ...[40, 35, 1].map((days, i) => ({ kind: 'appendEvent' as const, event: sampleEvent({ at: now - days * DayMs, subject: `e${i}` }) })),
      { kind: 'putSession', session: sampleSession({ id: 'ses_old', state: 'Closed', closedAt: now - 40 * DayMs, closeReason: 'ended' }) },
      { kind: 'putSession', session: sampleSession({ id: 'ses_recent', state: 'Closed', closedAt: now - DayMs, closeReason: 'ended' }) },
      { kind: 'putSession', session: sampleSession({ id: 'ses_open', openedAt: now - 90 * DayMs }) },
    ]);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const service = (archiveDir: string | null = null, batchSize = 500) =>
    new RetentionService({
      store, clock, archiveDir, onError: (e) => { throw e; },
      persist: (m) => store.commit(m),
      policy: resolveRetentionPolicy({ eventsMaxAgeMs: 30 * DayMs, sessionsMaxAgeMs: 30 * DayMs, batchSize }),
    });

  it('removes events and closed sessions past their age and keeps open sessions however old', async () => {
    await service().pass();
    expect((await store.listEvents({ limit: 10 })).map((e) => e.subject)).toEqual(['e2']);
    expect(await store.getSession('ses_old')).toBeUndefined();
    expect(await store.getSession('ses_recent')).toBeDefined();
    expect(await store.getSession('ses_open')).toBeDefined();
  });

  it('archives exactly what it removes before removing it', async () => {
    await service(dir).pass();
    const [file] = await readdir(dir);
    expect(file).toBe('handoff-archive-2026-06-01.jsonl');
    const lines = (await readFile(join(dir, file ?? ''), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ArchiveLine);
    expect(lines.map((l) => `${l.type}:${l.type === 'event' ? l.record.subject : l.record.id}`)).toEqual(['event:e0', 'event:e1', 'session:ses_old']);
  });

  it('works a backlog off in batches on its timer', async () => {
    const s = service(null, 1);
    s.start();
    for (let i = 0; i < 10; i++) {
      clock.advance(1_000);
      await new Promise((r) => setImmediate(r));
    }
    await s.stop();
    expect((await store.listEvents({ limit: 10 })).map((e) => e.subject)).toEqual(['e2']);
    expect(await store.getSession('ses_old')).toBeUndefined();
  });

  it('exports events and closed sessions from before a date without removing them', async () => {
    let text = '';
    const counts = await exportArchive(store, now - 30 * DayMs, async (t) => void (text += t), 1);
    expect(counts).toEqual({ events: 2, sessions: 1 });
    expect(text.trim().split('\n')).toHaveLength(3);
    expect(await store.listEvents({ limit: 10 })).toHaveLength(3);
  });
});
