/**
 * A real HTTP server for the CLI's tests: answers fixed JSON per `METHOD /path` and records
 * every request, so tests assert on what actually went over the wire. Not a mock of the
 * control plane: it knows nothing of its rules, only the replies each test scripts.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
}

/** A JSON reply, or `raw` text sent as is (for bodies that are not ours). */
export type Reply = { status?: number; body: unknown } | { status: number; raw: string };

export interface FixtureServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts on 127.0.0.1 and a free port. A route given a list of replies answers them in turn,
 * repeating the last; an unscripted route answers 404 like the real API.
 */
export async function startFixtureServer(routes: Record<string, Reply | readonly Reply[]>): Promise<FixtureServer> {
  const requests: RecordedRequest[] = [];
  const calls = new Map<string, number>();
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fixture');
      const raw = await text(req);
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: raw === '' ? undefined : (JSON.parse(raw) as unknown),
      });
      const key = `${req.method ?? ''} ${url.pathname}`;
      const n = calls.get(key) ?? 0;
      calls.set(key, n + 1);
      const scripted = routes[key];
      const replies: readonly Reply[] = scripted === undefined ? [] : Array.isArray(scripted) ? scripted : [scripted as Reply];
      const reply = replies[Math.min(n, replies.length - 1)] ?? {
        status: 404,
        body: { error: { code: 'ROUTE_NOT_FOUND', message: `no fixture for ${key}`, retryable: false } },
      };
      res.statusCode = reply.status ?? 200;
      if ('raw' in reply) {
        res.end(reply.raw);
      } else {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(reply.body));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** A port nothing listens on: bound, then released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
