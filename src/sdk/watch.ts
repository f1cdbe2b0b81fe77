import { setTimeout as delay } from 'node:timers/promises';
import { NoticeTypes, SDK_PREFIX, type Notice } from './protocol.js';
import { SdkError } from './sdk-error.js';
import { SseParser } from './sse.js';
import type { SdkTransport } from './transport.js';

export interface WatchOptions {
  /** Called for every interruption (the loop reconnects by itself) and for handler errors. */
  onError?: (e: unknown) => void;
}

export interface WatchTiming {
  firstBackoffMs: number;
  maxBackoffMs: number;
  /** No byte (not even a ping) for this long means a dead connection: reconnect. */
  idleTimeoutMs: number;
}

/**
 * Keeps a watch stream open until `close()`: reconnects with capped, jittered backoff whenever it
 * breaks, e.g. while the control plane restarts. The backend replays standing notices on every
 * (re)subscribe, so a notice may arrive twice; handlers must be idempotent. `onConnected` runs
 * each time the stream is (re)established: the control plane may have restarted meanwhile.
 */
export function startWatch(
  transport: SdkTransport,
  onNotice: (n: Notice) => void,
  opts: WatchOptions,
  timing: WatchTiming,
  onConnected: () => void = () => undefined,
): { close(): void } {
  const stop = new AbortController();
  const report = (e: unknown) => {
    if (!stop.signal.aborted) opts.onError?.(e);
  };
  const deliver = (data: string) => {
    let notice: unknown;
    try {
      notice = JSON.parse(data);
    } catch (e) {
      report(new SdkError('UNEXPECTED_RESPONSE', 'A watch notice is not JSON', { retryable: false, cause: e }));
      return;
    }
    // Notice types added by a newer control plane are skipped, not passed on mistyped.
    if (!isNotice(notice) || stop.signal.aborted) return;
    try {
      onNotice(notice);
    } catch (e) {
      report(e);
    }
  };

  void (async () => {
    let failures = 0;
    while (!stop.signal.aborted) {
      try {
        await readOnce(transport, stop.signal, timing.idleTimeoutMs, deliver, () => {
          failures = 0;
          onConnected();
        });
        failures += 1;
        report(new SdkError('CONNECTION_FAILED', 'The watch stream ended; reconnecting', { retryable: true }));
      } catch (e) {
        failures += 1;
        report(e);
      }
      const cap = Math.min(timing.firstBackoffMs * 2 ** (failures - 1), timing.maxBackoffMs);
      // Jitter spreads a fleet's reconnects after a control-plane restart.
      await delay(cap * (0.5 + Math.random() / 2), undefined, { signal: stop.signal }).catch(() => undefined);
    }
  })();

  return { close: () => stop.abort() };
}

/** One connection: resolves on end-of-stream, rejects on failure. */
async function readOnce(
  transport: SdkTransport,
  stop: AbortSignal,
  idleTimeoutMs: number,
  deliver: (data: string) => void,
  onConnected: () => void,
): Promise<void> {
  const idle = new AbortController();
  const signal = AbortSignal.any([stop, idle.signal]);
  const timer = setTimeout(
    () => idle.abort(new SdkError('REQUEST_TIMEOUT', `No data on the watch stream for ${idleTimeoutMs} ms`, { retryable: true })),
    idleTimeoutMs,
  );
  timer.unref();
  try {
    const body = await transport.stream(`${SDK_PREFIX}/watch`, signal);
    onConnected();
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      timer.refresh();
      for (const event of parser.push(decoder.decode(value, { stream: true }))) deliver(event.data);
    }
  } catch (e) {
    throw idle.signal.aborted ? idle.signal.reason : e;
  } finally {
    clearTimeout(timer);
  }
}

function isNotice(v: unknown): v is Notice {
  if (typeof v !== 'object' || v === null) return false;
  const type = (v as { type?: unknown }).type;
  return typeof type === 'string' && (NoticeTypes as readonly string[]).includes(type);
}
