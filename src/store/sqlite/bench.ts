/**
 * Group-commit benchmark for the allocation hot path: one commit of 200 allocations
 * (putSession + putIdempotency + appendEvent each) per event-loop tick, on a real file.
 * Run: node --import tsx src/store/sqlite/bench.ts [rounds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleEvent, sampleIdempotency, sampleSession } from '../fixtures.js';
import type { Mutation } from '../port.js';
import { SqliteStore } from './sqlite-store.js';

const rounds = Number(process.argv[2] ?? 50);
const perBatch = 200;
const dir = mkdtempSync(join(tmpdir(), 'handoff-bench-'));
const store = SqliteStore.open(join(dir, 'state.db'));

function batch(round: number): Mutation[] {
  return Array.from({ length: perBatch }, (_, i): Mutation[] => {
    const id = `ses_${round}_${i}`;
    return [
      { kind: 'putSession', session: sampleSession({ id, playerId: `p${round}_${i}`, state: 'Reserved', connectedAt: null }) },
      { kind: 'putIdempotency', record: sampleIdempotency({ key: `k${round}_${i}`, response: { sessionId: id } }) },
      { kind: 'appendEvent', event: sampleEvent({ subject: id }) },
    ];
  }).flat();
}

try {
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const mutations = batch(r);
    const start = process.hrtime.bigint();
    await store.commit(mutations);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => (times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN).toFixed(2);
  console.log(`${rounds} commits of ${perBatch} allocations (${perBatch * 3} mutations) on ${tmpdir()}`);
  console.log(`per commit ms: p50 ${pct(0.5)}  p95 ${pct(0.95)}  max ${pct(1)}`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
