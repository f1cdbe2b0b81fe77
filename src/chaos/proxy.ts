/**
 * A fault-injecting TCP proxy for the path between a control plane and its database
 * (`handoff chaos proxy`, docs/chaos.md). The control plane's `--store` URL names the proxy; an
 * experiment (or anyone) switches faults on and off through its HTTP control endpoint:
 *
 * - `latencyMs`: every chunk, both directions, is held this long before it is forwarded (order
 *   kept: a queue per direction, not a timer per chunk);
 * - `drop`: bytes are discarded in both directions and new connections are accepted but never
 *   connected onwards — a partition, not a refusal, because a partition is what hangs clients.
 *
 * Lifting `drop` closes the connections that lost bytes: their protocol stream is corrupt, and
 * a closed socket is what makes the database client reconnect instead of waiting forever.
 */
import http from 'node:http';
import net from 'node:net';

export interface ProxyFault {
  latencyMs: number;
  drop: boolean;
}

export interface HostPort {
  host: string;
  port: number;
}

interface Link {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Lost bytes: closed when the drop is lifted. */
  damaged: boolean;
}

/** Forwards `from` → `to` through a FIFO that holds each chunk for the latency of its arrival. */
function pipeWithFaults(from: net.Socket, to: () => net.Socket | null, link: Link, fault: () => ProxyFault): void {
  const queue: { at: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | null = null;
  const drain = (): void => {
    timer = null;
    const now = Date.now();
    while (queue.length > 0 && (queue[0]?.at ?? Infinity) <= now) {
      const head = queue.shift() as { chunk: Buffer };
      to()?.write(head.chunk);
    }
    const next = queue[0];
    if (next) timer = setTimeout(drain, Math.max(0, next.at - Date.now()));
  };
  from.on('data', (chunk: Buffer) => {
    const f = fault();
    if (f.drop) {
      link.damaged = true;
      return;
    }
    queue.push({ at: Date.now() + f.latencyMs, chunk });
    if (f.latencyMs === 0 && queue.length === 1) drain();
    else if (timer === null) timer = setTimeout(drain, f.latencyMs);
  });
  from.on('close', () => {
    if (timer) clearTimeout(timer);
  });
}

export class FaultProxy {
  private fault: ProxyFault = { latencyMs: 0, drop: false };
  private readonly links = new Set<Link>();

  private constructor(
    private readonly server: net.Server,
    private readonly control: http.Server,
    readonly target: HostPort,
  ) {}

  /** Listens on `listen` (proxy) and `control` (HTTP); port 0 picks a free one. */
  static async start(listen: HostPort, target: HostPort, control: HostPort): Promise<FaultProxy> {
    let self: FaultProxy | null = null;
    const server = net.createServer((client) => self?.accept(client));
    const controlServer = http.createServer((req, res) => void self?.handle(req, res));
    self = new FaultProxy(server, controlServer, target);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(listen.port, listen.host, resolve));
    await new Promise<void>((resolve, reject) => controlServer.once('error', reject).listen(control.port, control.host, resolve));
    return self;
  }

  get address(): HostPort {
    const a = this.server.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  get controlUrl(): string {
    const a = this.control.address() as net.AddressInfo;
    return `http://${a.address}:${a.port}`;
  }

  status(): ProxyFault & { connections: number; target: string } {
    return { ...this.fault, connections: this.links.size, target: `${this.target.host}:${this.target.port}` };
  }

  setFault(next: ProxyFault): void {
    const lifted = this.fault.drop && !next.drop;
    this.fault = { ...next };
    if (!lifted) return;
    for (const link of this.links) {
      if (link.damaged || link.upstream === null) this.closeLink(link);
    }
  }

  private accept(client: net.Socket): void {
    const link: Link = { client, upstream: null, damaged: false };
    this.links.add(link);
    client.on('error', () => this.closeLink(link));
    client.on('close', () => this.closeLink(link));
    pipeWithFaults(client, () => link.upstream, link, () => this.fault);
    // Under drop, the connection is held open but leads nowhere until the drop is lifted (then closed).
    if (this.fault.drop) return;
    const upstream = net.connect(this.target.port, this.target.host);
    link.upstream = upstream;
    upstream.on('error', () => this.closeLink(link));
    upstream.on('close', () => this.closeLink(link));
    pipeWithFaults(upstream, () => link.client, link, () => this.fault);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.url !== '/fault') return send(404, { error: { code: 'ROUTE_NOT_FOUND', message: 'GET or PUT /fault' } });
    if (req.method === 'GET') return send(200, this.status());
    if (req.method !== 'PUT') return send(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'GET or PUT /fault' } });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const parsed = parseFault(Buffer.concat(chunks).toString('utf8'));
    if (typeof parsed === 'string') return send(400, { error: { code: 'VALIDATION_FAILED', message: parsed } });
    this.setFault(parsed);
    send(200, this.status());
  }

  /** Stops listening and closes every connection through the proxy. */
  async close(): Promise<void> {
    for (const l of this.links) this.closeLink(l);
    await Promise.all([new Promise((r) => this.server.close(r)), new Promise((r) => this.control.close(r))]);
  }

  private closeLink(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream?.destroy();
  }
}

/** The control endpoint's body: `{ "latencyMs": 0.., "drop": bool }`; a string is the complaint. */
export function parseFault(text: string): ProxyFault | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'the body is not JSON';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'send { "latencyMs": number, "drop": boolean }';
  const { latencyMs = 0, drop = false, ...rest } = v as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) return `unknown field "${extra}"`;
  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 600_000) return 'latencyMs must be a number of ms, 0 to 600000';
  if (typeof drop !== 'boolean') return 'drop must be true or false';
  return { latencyMs, drop };
}
