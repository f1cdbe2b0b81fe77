import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../core/events.js';
import { notificationOf, payloadFor } from './payload.js';
import { DefaultRetryPolicy, retryDelayMs, type RetryPolicy } from './retry.js';
import { sign, verify } from './signature.js';

const policy: RetryPolicy = { baseMs: 1_000, maxMs: 10_000, maxAttempts: 5 };

describe('retry schedule', () => {
  it.each<[number, number, number | null]>([
    [1, 0, 500],
    [1, 0.999_999, 1_000],
    [2, 0, 1_000],
    [3, 0.5, 3_000],
    [4, 1, 8_000],
    // Capped at maxMs, then no attempt is left.
    [5, 0, null],
  ])('after attempt %i with jitter draw %f waits %s ms', (attempt, random, expected) => {
    expect(retryDelayMs(attempt, policy, random)).toBe(expected);
  });

  it('never waits more than maxMs, however many attempts', () => {
    const long: RetryPolicy = { ...policy, maxAttempts: 50 };
    for (let a = 1; a < 50; a++) expect(retryDelayMs(a, long, 0.999)).toBeLessThanOrEqual(long.maxMs);
  });

  it('gives up after the default policy\'s attempts', () => {
    expect(retryDelayMs(DefaultRetryPolicy.maxAttempts, DefaultRetryPolicy, 0)).toBeNull();
  });
});

describe('signature', () => {
  const body = '{"event":"completed"}';
  const at = Date.UTC(2026, 0, 1);

  it('verifies what it signed', () => {
    expect(verify('s3cret', body, sign('s3cret', body, at), at + 1_000)).toBe(true);
  });

  it.each<[string, string, string | null, number]>([
    ['another secret', 'other', sign('s3cret', body, at), at],
    ['a changed body', 's3cret', sign('s3cret', `${body} `, at), at],
    ['an old timestamp (replay)', 's3cret', sign('s3cret', body, at), at + 6 * 60_000],
    ['no header', 's3cret', null, at],
    ['a garbled header', 's3cret', 'v1=zz', at],
  ])('refuses %s', (_name, secret, header, now) => {
    expect(verify(secret, body, header, now)).toBe(false);
  });
});

describe('release events', () => {
  it.each<[string, string | null]>([
    ['rollout.started', 'started'],
    ['rollout.progressing', 'step'],
    ['rollout.paused', 'paused'],
    ['rollout.awaitingpromotion', 'paused'],
    ['analysis.verdict', 'verdict'],
    ['rollout.promoted', 'promoted'],
    ['rollout.aborted', 'aborted'],
    ['rollout.failed', 'aborted'],
    ['rollout.completed', 'completed'],
    ['release.gate.waiting', 'gate-waiting'],
    ['server.started', null],
    ['session.closed', null],
  ])('maps %s to %s', (kind, expected) => {
    expect(notificationOf(kind)).toBe(expected);
  });

  const e: StoredEvent = { seq: 7, at: 0, fleet: 'arena', kind: 'rollout.failed', subject: 'ro_1', message: 'smoke check failed', data: { to: 'Failed' } };

  it('sends the event with its outcome in JSON', () => {
    expect(JSON.parse(payloadFor('json', 'aborted', e))).toEqual({ event: 'aborted', kind: 'rollout.failed', seq: 7, at: 0, fleet: 'arena', subject: 'ro_1', message: 'smoke check failed', data: { to: 'Failed', outcome: 'failed' } });
  });

  it('sends Slack a text line', () => {
    expect(JSON.parse(payloadFor('slack', 'aborted', e)).text).toBe('Handoff: release aborted on arena: smoke check failed');
  });
});
