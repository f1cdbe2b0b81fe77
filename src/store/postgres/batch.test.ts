import { describe, expect, it } from 'vitest';
import { sampleEvent, sampleIdempotency, sampleServer } from '../fixtures.js';
import type { EnvSnapshot } from '../../environment/model.js';
import type { Webhook } from '../../notify/model.js';
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

  it('treats deleting a webhook as a barrier, so a put, a delete and a put again end with the webhook stored', () => {
    const webhook = { name: 'ops' } as Webhook;
    const plan = planBatch([
      { kind: 'putWebhook', webhook },
      { kind: 'deleteWebhook', name: 'ops' },
      { kind: 'putWebhook', webhook },
    ]);
    expect(plan.map((s) => s.text.split(' ')[0])).toEqual(['INSERT', 'DELETE', 'INSERT']);
  });

  it('keys environment snapshots by environment and number together', () => {
    const snap = (environment: string, number: number) => ({ kind: 'putEnvSnapshot', snapshot: { environment, number } as EnvSnapshot }) as const;
    const [plan] = planBatch([snap('prod', 1), snap('prod', 2), snap('staging', 1), snap('prod', 1)]);
    expect(plan?.text).toContain('ON CONFLICT (environment, number)');
    expect(plan?.values.slice(0, 2)).toEqual([['prod', 'prod', 'staging'], [1, 2, 1]]);
  });

  it('refuses an unknown mutation kind before producing any SQL', () => {
    expect(() => planBatch([{ kind: 'dropEverything' } as unknown as Mutation])).toThrow(/Unknown mutation kind/);
  });
});
