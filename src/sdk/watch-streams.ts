import type { ServerResponse } from 'node:http';
import { StreamResult } from '../http/route.js';
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
   * The SSE response for one subscription. `subscribe` runs only once the stream is opened by
   * the HTTP stack, after every check passed; the stream ends when the client goes away.
   */
  open(subscribe: Subscribe): StreamResult {
    return new StreamResult((res: ServerResponse) => {
      let finished = false;
      let unsubscribe: () => void = () => undefined;
      const release = (): void => {
        if (finished) return;
        finished = true;
        clearInterval(ping);
        this.ends.delete(end);
        unsubscribe();
      };
      const end = (): void => {
        if (finished) return;
        release();
        res.end();
      };
      const send = (text: string): void => {
        if (!finished) res.write(text);
      };
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // The socket closes with the stream instead of idling in keep-alive, which would hold
        // up closing the endpoint.
        connection: 'close',
      });
      res.once('close', release);
      // A first comment gets the headers and a byte out at once, so the client knows it is attached.
      send(': connected\n\n');
      const ping = setInterval(() => send(': ping\n\n'), this.pingIntervalMs);
      // Pings never keep the control plane alive on their own: shutdown is explicit.
      ping.unref();
      this.ends.add(end);
      unsubscribe = subscribe((notice) => send(`data: ${JSON.stringify(notice)}\n\n`));
    });
  }

  /** Ends every open stream cleanly (the client sees end-of-stream and reconnects). */
  endAll(): void {
    for (const end of [...this.ends]) end();
  }
}
