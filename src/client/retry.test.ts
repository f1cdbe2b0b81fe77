import { describe, expect, it } from 'vitest';
import { decideRetry, parseRetryAfter, type AttemptFailure, type RetryInput } from './retry.js';

const policy = { budgetMs: 10_000, baseDelayMs: 100, maxDelayMs: 2_000, extraCodes: [] };
const refused: AttemptFailure = { kind: 'unreached', detail: 'ECONNREFUSED' };
const reset: AttemptFailure = { kind: 'broken', detail: 'ECONNRESET' };
const answered = (code: string, status = 503, retryAfterMs: number | null = null): AttemptFailure => ({ kind: 'answered', status, code, retryAfterMs });
const input = (over: Partial<RetryInput>): RetryInput => ({ failure: refused, idempotent: false, attempts: 1, urls: 3, elapsedMs: 0, policy, random: 0.5, ...over });

describe('decideRetry', () => {
  it.each<[string, Partial<RetryInput>, boolean]>([
    ['retries a write that reached no replica', { failure: refused }, true],
    ['retries a take-over refusal (NO_LEADER)', { failure: answered('NO_LEADER') }, true],
    ['retries a fenced old leader (STORE_FENCED)', { failure: answered('STORE_FENCED') }, true],
    ['retries a replica shutting down', { failure: answered('SHUTTING_DOWN') }, true],
    ['retries an overloaded replica (429)', { failure: answered('OVERLOADED', 429) }, true],
    ['retries a broken connection when the request is idempotent', { failure: reset, idempotent: true }, true],
    ['does not retry a broken connection when a write may have been applied twice', { failure: reset, idempotent: false }, false],
    ['does not retry a refusal of the request itself', { failure: answered('FLEET_NOT_FOUND', 404) }, false],
    ['does not retry NO_CAPACITY unless asked to', { failure: answered('NO_CAPACITY') }, false],
    ['retries NO_CAPACITY when the policy lists it', { failure: answered('NO_CAPACITY'), policy: { ...policy, extraCodes: ['NO_CAPACITY'] } }, true],
    ['retries a proxy\'s 502 page for an idempotent request', { failure: answered('HTTP_502', 502), idempotent: true }, true],
    ['does not retry a proxy\'s 502 page for a write without a key', { failure: answered('HTTP_502', 502), idempotent: false }, false],
    ['gives up once the budget is spent', { failure: refused, elapsedMs: 10_001 }, false],
    ['never retries with a budget of 0', { failure: answered('NO_LEADER'), policy: { ...policy, budgetMs: 0 } }, false],
  ])('%s', (_name, over, retry) => {
    expect(decideRetry(input(over)).retry).toBe(retry);
  });

  it('moves on to the next replica at once after a refused connection, and backs off after a full round', () => {
    expect(decideRetry(input({ attempts: 1 }))).toEqual({ retry: true, delayMs: 0 });
    expect(decideRetry(input({ attempts: 2 }))).toEqual({ retry: true, delayMs: 0 });
    expect(decideRetry(input({ attempts: 3, random: 0 }))).toEqual({ retry: true, delayMs: 50 });
    expect(decideRetry(input({ attempts: 6, random: 0 }))).toEqual({ retry: true, delayMs: 100 });
  });

  it('doubles the back-off every round up to the cap, jittered within its upper half', () => {
    const delay = (attempts: number, random: number) => {
      const d = decideRetry(input({ failure: answered('NO_LEADER'), urls: 1, attempts, random }));
      return d.retry ? d.delayMs : -1;
    };
    expect([1, 2, 3, 4].map((a) => delay(a, 0.999))).toEqual([100, 200, 400, 800]);
    expect(delay(10, 0)).toBe(1_000);
    expect(delay(10, 0.999)).toBe(1_999);
  });

  it('waits at least as long as the answer\'s Retry-After, and gives up if that outlasts the budget', () => {
    expect(decideRetry(input({ failure: answered('NO_LEADER', 503, 1_000) }))).toEqual({ retry: true, delayMs: 1_000 });
    expect(decideRetry(input({ failure: answered('OVERLOADED', 429, 5_000), elapsedMs: 6_000 })).retry).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  it.each<[string | null, number | null]>([
    ['1', 1_000],
    ['0.5', 500],
    ['', null],
    [null, null],
    ['soon', null],
    ['Thu, 01 Jan 1970 00:00:03 GMT', 2_000],
  ])('reads %j as %j ms', (header, ms) => {
    expect(parseRetryAfter(header, 1_000)).toBe(ms);
  });
});
