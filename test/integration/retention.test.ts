/**
 * Retention as `handoff server` wires it: the composed control plane removes events beyond its
 * count limit on its own, archiving them first, while it keeps serving.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ArchiveLine } from '../../src/retention/archive.js';
import { startControlPlane, type ControlPlane } from '../../src/server/compose.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { fixtureBuild, repoRoot, waitFor } from '../support/control-plane.js';

describe('retention in a running control plane', () => {
  let dir: string;
  let cp: ControlPlane | undefined;
  afterEach(async () => {
    await cp?.close({ stopServers: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps only the newest events it is told to keep and archives the rest before removing them', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'handoff-retention-it-'));
    const archiveDir = path.join(dir, 'archive');
    cp = await startControlPlane(
      { dataDir: path.join(dir, 'data'), port: 0, sdkPort: 0, portRange: { from: 44_640, to: 44_649 }, cwd: repoRoot, retainEventsMax: 2, retainArchiveDir: archiveDir, retainIntervalMs: 200 },
      { log: () => undefined, onFatal: () => undefined },
    );
    for (const id of ['v1', 'v2', 'v3', 'v4', 'v5']) {
      const res = await fetch(`${cp.url}/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ builds: [fixtureBuild(id)] }) });
      expect(res.status).toBeLessThan(300);
    }
    const store = SqliteStore.open(path.join(dir, 'data', 'handoff.db'), { checkpoint: false });
    try {
      const kept = await waitFor(async () => {
        const events = await store.listEvents({ limit: 100 });
        return events.length === 2 ? events : undefined;
      }, 'retention to trim the event log to 2', 20_000);
      const archived = readdirSync(archiveDir).flatMap((f) => readFileSync(path.join(archiveDir, f), 'utf8').trim().split('\n')).map((l) => JSON.parse(l) as ArchiveLine);
      expect(archived.length).toBeGreaterThanOrEqual(3);
      const archivedSeqs = archived.flatMap((l) => (l.type === 'event' ? [l.record.seq] : []));
      // Everything removed reached the archive, and nothing kept was archived.
      expect(Math.max(...archivedSeqs)).toBeLessThan(Math.min(...kept.map((e) => e.seq)));
      expect(archivedSeqs).toEqual([...archivedSeqs].sort((a, b) => a - b));
    } finally {
      await store.close();
    }
  }, 40_000);
});
