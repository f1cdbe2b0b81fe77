import type { Notice } from './protocol.js';

export const DEFAULT_PING_INTERVAL_MS = 15_000;

type Subscribe = (listener: (notice: Notice) => void) => () => void;

/**
 * The open `watch` streams of one endpoint. Each is a Server-Sent Events response fed by a
 * backend subscription; the registry exists so that closing the endpoint can end them all.
 */
export class WatchStreams {
  private readonly ends = new Set<() => void>();

  constructor(private readonly pingIntervalMs: number = DEFAULT_PING_INTERVAL_MS) {}

  get size(): number {
    return this.ends.size;
  }

  /**
   * Subscribes and returns the SSE response. A throwing `subscribe` propagates before any
   * response exists, so the caller still answers with a proper error body.
   */
  open(subscribe: Subscribe): Response {
    const encoder = new TextEncoder();
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    let finished = false;
    let unsubscribe: () => void = () => undefined;

    // `cancel` runs when the client goes away (the adapter cancels the body on socket close).
    const release = () => {
      if (finished) return;
      finished = true;
      clearInterval(ping);
      this.ends.delete(end);
      unsubscribe();
    };
    const end = () => {
      if (finished) return;
      release();
      controller?.close();
    };
    const send = (text: string) => {
      if (!finished) controller?.enqueue(encoder.encode(text));
    };

    // `start` runs synchronously inside the constructor, so `controller` is set right after.
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c), cancel: release });
    // A first comment gets the headers and a byte out at once, so the client knows it is attached.
    send(': connected\n\n');
    unsubscribe = subscribe((notice) => send(`data: ${JSON.stringify(notice)}\n\n`));
    const ping = setInterval(() => send(': ping\n\n'), this.pingIntervalMs);
    // Pings never keep the control plane alive on their own: shutdown is explicit.
    ping.unref();
    this.ends.add(end);

    return new Response(body, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // The socket closes with the stream instead of idling in keep-alive, which would hold
        // up closing the endpoint.
        connection: 'close',
      },
    });
  }

  /** Ends every open stream cleanly (the client sees end-of-stream and reconnects). */
  endAll(): void {
    for (const end of [...this.ends]) end();
  }
}
