import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRetention, resolveRetentionPolicy, type RetentionPolicy, type RetentionStatsView } from './plan.js';

const now = 1_000_000;
const policy: RetentionPolicy = { ...resolveRetentionPolicy(), eventsMaxAgeMs: 1_000, eventsMax: 10, sessionsMaxAgeMs: 1_000, sessionsMax: 3, batchSize: 4 };
const stats = (s: Partial<RetentionStatsView>): RetentionStatsView => ({ newestEventSeq: null, oldestEvents: [], closedSessions: 0, oldestClosedSessions: [], ...s });
const ev = (seq: number, at: number) => ({ seq, at });
const ses = (id: string, closedAt: number) => ({ id, closedAt });

describe('planRetention', () => {
  it.each([
    ['removes nothing from an empty store', stats({}), null, [], false],
    ['removes events older than the age limit, oldest first', stats({ newestEventSeq: 5, oldestEvents: [ev(1, now - 5_000), ev(2, now - 2_000), ev(3, now - 10)] }), 2, [], false],
    ['stops at the first event it keeps, so the log loses only a prefix', stats({ newestEventSeq: 5, oldestEvents: [ev(1, now - 5_000), ev(2, now), ev(3, now - 5_000)] }), 1, [], false],
    ['removes events beyond the newest eventsMax sequence numbers', stats({ newestEventSeq: 12, oldestEvents: [ev(1, now), ev(2, now), ev(3, now), ev(4, now)] }), 2, [], false],
    ['removes at most a batch and asks for another pass', stats({ newestEventSeq: 100, oldestEvents: [ev(1, 0), ev(2, 0), ev(3, 0), ev(4, 0), ev(5, 0)] }), 4, [], true],
    ['keeps events the webhook outbox has not read yet, however old', stats({ newestEventSeq: 5, oldestEvents: [ev(1, 0), ev(2, 0), ev(3, 0)], eventsReadUpTo: 1 }), 1, [], false],
    ['removes sessions closed longer ago than the age limit', stats({ closedSessions: 2, oldestClosedSessions: [ses('a', now - 2_000), ses('b', now)] }), null, ['a'], false],
    ['removes the oldest closed sessions beyond sessionsMax', stats({ closedSessions: 5, oldestClosedSessions: [ses('a', now), ses('b', now), ses('c', now), ses('d', now)] }), null, ['a', 'b'], false],
  ] as const)('%s', (_name, s, throughSeq, ids, more) => {
    const plan = planRetention(now, policy, s);
    expect(plan.deleteEventsThroughSeq).toBe(throughSeq);
    expect(plan.deleteSessionIds).toEqual(ids);
    expect(plan.more).toBe(more);
  });

  it('never removes a record that is both recent and within the count limit', () => {
    const arb = fc.record({
      events: fc.array(fc.integer({ min: now - 3_000, max: now }), { maxLength: 20 }),
      closed: fc.array(fc.integer({ min: now - 3_000, max: now }), { maxLength: 20 }),
    });
    fc.assert(
      fc.property(arb, ({ events, closed }) => {
        const sortedAt = [...events].sort((a, b) => a - b);
        const oldestEvents = sortedAt.map((at, i) => ev(i + 1, at));
        const oldestClosedSessions = [...closed].sort((a, b) => a - b).map((at, i) => ses(`s${i}`, at));
        const plan = planRetention(now, policy, stats({ newestEventSeq: oldestEvents.length || null, oldestEvents, closedSessions: closed.length, oldestClosedSessions }));
        const kept = (seq: number, at: number) => at >= now - policy.eventsMaxAgeMs && seq > oldestEvents.length - policy.eventsMax;
        for (const e of oldestEvents) if (plan.deleteEventsThroughSeq !== null && e.seq <= plan.deleteEventsThroughSeq) expect(kept(e.seq, e.at)).toBe(false);
        oldestClosedSessions.forEach((s, i) => {
          if (plan.deleteSessionIds.includes(s.id)) expect(s.closedAt < now - policy.sessionsMaxAgeMs || i < closed.length - policy.sessionsMax).toBe(true);
        });
        expect(plan.deleteSessionIds.length).toBeLessThanOrEqual(policy.batchSize);
        expect(plan.eventCount).toBeLessThanOrEqual(policy.batchSize);
      }),
    );
  });
});

describe('resolveRetentionPolicy', () => {
  it('refuses a count that is not a positive whole number', () => {
    expect(() => resolveRetentionPolicy({ eventsMax: 0 })).toThrow(RangeError);
    expect(() => resolveRetentionPolicy({ sessionsMax: 2.5 })).toThrow(RangeError);
  });
});
