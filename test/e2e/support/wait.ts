/**
 * Polling instead of sleeping: end-to-end tests wait for a condition with a generous deadline,
 * never for a fixed time, so a slow CI box makes them slower, not flaky.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, in words: it is the first thing a failure message says. */
  what: string;
  /** Default 20 s: generous, because CI is a noisy 2-core box. */
  timeoutMs?: number;
  /** Default 100 ms. */
  intervalMs?: number;
}

type Falsy = false | null | undefined | 0 | '';

/**
 * Calls `cond` until it returns a truthy value and resolves with that value. A throw from
 * `cond` counts as "not yet" (the API may be restarting); the last one is in the timeout error,
 * together with the last value seen, so a failure says what the world looked like.
 */
export async function waitFor<T>(cond: () => T | Falsy | Promise<T | Falsy>, opts: WaitOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const deadline = performance.now() + timeoutMs;
  let last: unknown = undefined;
  let lastError: unknown = undefined;
  for (;;) {
    try {
      const value = await cond();
      if (value) return value;
      last = value;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (performance.now() >= deadline) break;
    await delay(opts.intervalMs ?? 100);
  }
  const seen = lastError !== undefined ? `last error: ${describe(lastError)}` : `last value: ${describe(last)}`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what} (${seen})`);
}

/**
 * Like `waitFor` for a check written with assertions: resolves once `check` stops throwing and
 * rethrows its last failure at the deadline, so the message is the assertion's own.
 */
export async function eventually(check: () => void | Promise<void>, opts: WaitOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (performance.now() >= deadline) {
        const message = e instanceof Error ? e.message : String(e);
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}: ${message}`, { cause: e });
      }
    }
    await delay(opts.intervalMs ?? 100);
  }
}

function describe(v: unknown): string {
  if (v instanceof Error) return v.message;
  try {
    const text = JSON.stringify(v);
    return text === undefined ? String(v) : text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text;
  } catch {
    return String(v);
  }
}
