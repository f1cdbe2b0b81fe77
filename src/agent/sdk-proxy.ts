/**
 * The agent's end of the SDK tunnel: an HTTP endpoint on the host's loopback that game servers
 * use as HANDOFF_SDK_URL. Each request travels over the agent's connection to the control plane
 * (sdk-upstream.ts) and its response streams back. Loopback only, like the control plane's own
 * endpoint: the bearer token travels in clear text.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FromAgent, ToAgent } from './protocol.js';
import { HOP_HEADERS } from './protocol.js';

const MAX_BODY_BYTES = 1024 * 1024;
const UNAVAILABLE = JSON.stringify({ error: { code: 'SHUTTING_DOWN', message: 'the control plane is not reachable from this host; retry', retryable: true } });

export class SdkProxy {
  private seq = 0;
  private readonly open = new Map<number, ServerResponse>();

  private constructor(
    private readonly server: Server,
    private readonly send: (m: FromAgent) => boolean,
  ) {}

  /** Listens on `127.0.0.1:port`. `send` returns false when the control plane is not connected. */
  static async start(port: number, send: (m: FromAgent) => boolean): Promise<SdkProxy> {
    const ref: { proxy?: SdkProxy } = {};
    const server = createServer((req, res) => ref.proxy?.handle(req, res));
    const proxy = new SdkProxy(server, send);
    ref.proxy = proxy;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${a.port}`;
  }

  /** A frame of a tunnelled response. */
  receive(m: Extract<ToAgent, { t: 'http-head' | 'http-data' | 'http-end' }>): void {
    const res = this.open.get(m.id);
    if (!res) return;
    if (m.t === 'http-head') res.writeHead(m.status, m.headers);
    else if (m.t === 'http-data') res.write(Buffer.from(m.data, 'base64'));
    else {
      this.open.delete(m.id);
      res.end();
    }
  }

  /** The connection dropped: what is in flight cannot complete; the SDK clients retry. */
  disconnected(): void {
    for (const [id, res] of this.open) {
      this.open.delete(id);
      if (res.headersSent) res.destroy();
      else unavailable(res);
    }
  }

  close(): Promise<void> {
    this.disconnected();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const id = ++this.seq;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_HEADERS.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      this.open.set(id, res);
      const sent = this.send({ t: 'http', id, method: req.method ?? 'GET', path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('base64') });
      if (!sent) {
        this.open.delete(id);
        return unavailable(res);
      }
      // The game server gave up (or a watch stream ended): stop the upstream request too.
      res.once('close', () => {
        if (this.open.delete(id)) this.send({ t: 'http-abort', id });
      });
    });
  }
}

function unavailable(res: ServerResponse): void {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  res.end(UNAVAILABLE);
}
