import { describe, expect, it } from 'vitest';
import { sampleEvent, sampleIdempotency, sampleServer } from '../fixtures.js';
import type { Mutation } from '../port.js';
import { planBatch } from './batch.js';

const tableOf = (sql: string): string => /^(?:INSERT INTO|DELETE FROM) (\w+)/.exec(sql)?.[1] ?? '?';

describe('planBatch', () => {
  it('sends a group commit of many allocations as one statement per table', () => {
    const batch: Mutation[] = [];
    for (let i = 0; i < 50; i++) {
      batch.push({ kind: 'putIdempotency', record: sampleIdempotency({ key: `k${i}` }) });
      batch.push({ kind: 'appendEvent', event: sampleEvent({ subject: `s${i}` }) });
    }
    const plan = planBatch(batch);
    expect(plan.map((s) => tableOf(s.text))).toEqual(['idempotency', 'events']);
    // Events keep their batch order: the seqs they get follow it.
    expect(plan[1]?.values[3]).toEqual(Array.from({ length: 50 }, (_, i) => `s${i}`));
  });

  it('keeps only the last upsert of a key, as applying them one by one would', () => {
    const [first, last] = [sampleServer({ state: 'Ready' }), sampleServer({ state: 'Draining' })];
    const [plan] = planBatch([{ kind: 'putServer', server: first }, { kind: 'putServer', server: last }]);
    expect(plan?.values[0]).toEqual([last.id]);
    expect(plan?.values.at(-1)).toEqual([JSON.stringify(last)]);
  });

  it.each<[string, Mutation[], string[]]>([
    ['a put before an expiry is written before it', [
      { kind: 'putIdempotency', record: sampleIdempotency() },
      { kind: 'expireIdempotency', before: 1 },
    ], ['idempotency', 'idempotency']],
    ['a put after an expiry is written after it', [
      { kind: 'expireIdempotency', before: 1 },
      { kind: 'putIdempotency', record: sampleIdempotency() },
    ], ['idempotency', 'idempotency']],
  ])('treats an expiry as a barrier: %s', (_name, batch, tables) => {
    const plan = planBatch(batch);
    expect(plan.map((s) => tableOf(s.text))).toEqual(tables);
    expect(plan.map((s) => s.text.startsWith('DELETE'))).toEqual(batch.map((m) => m.kind === 'expireIdempotency'));
  });

  it('refuses an unknown mutation kind before producing any SQL', () => {
    expect(() => planBatch([{ kind: 'dropEverything' } as unknown as Mutation])).toThrow(/Unknown mutation kind/);
  });
});
