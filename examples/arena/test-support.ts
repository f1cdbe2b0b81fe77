/**
 * Test support for the arena: a fake SDK endpoint (only the routes the arena calls) and a helper
 * that runs the real arena as a child process against it. The real endpoint is tested under
 * src/sdk; end-to-end tests use the real control plane.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { SDK_PREFIX, type Notice, type SdkSessionView } from '../../src/sdk/protocol.js';

export interface SdkCall {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

type Waiter = { match: (c: SdkCall) => boolean; resolve: (c: SdkCall) => void };

/** A plain node:http stand-in for the control plane's SDK endpoint. Records every call. */
export class FakeSdk {
  readonly calls: SdkCall[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly streams = new Set<ServerResponse>();
  private readonly streamWaiters: Array<() => void> = [];
  /** playerId → the join token the "control plane" handed out with the allocation. */
  private readonly allocations = new Map<string, { token: string; sessionId: string }>();

  private constructor(
    private readonly server: Server,
    readonly token: string,
  ) {}

  static async start(token = 'server-token'): Promise<FakeSdk> {
    const server = createServer();
    const sdk = new FakeSdk(server, token);
    server.on('request', (req, res) => void sdk.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return sdk;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Lets `playerId` join with `token`, as an allocation would. */
  allocate(playerId: string, token: string, sessionId = `ses_${playerId}`): void {
    this.allocations.set(playerId, { token, sessionId });
  }

  /** The first call, past or future, that matches. */
  waitFor(match: (c: SdkCall) => boolean): Promise<SdkCall> {
    const seen = this.calls.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  waitForPath(path: string, body: Record<string, unknown> = {}): Promise<SdkCall> {
    return this.waitFor((c) => c.path === SDK_PREFIX + path && Object.entries(body).every(([k, v]) => c.body[k] === v));
  }

  /** Resolves once a watch stream is open, so a notice sent afterwards is delivered. */
  watching(): Promise<void> {
    if (this.streams.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.streamWaiters.push(resolve));
  }

  notify(notice: Notice): void {
    for (const res of this.streams) res.write(`data: ${JSON.stringify(notice)}\n\n`);
  }

  async close(): Promise<void> {
    for (const res of this.streams) res.end();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    let body: Record<string, unknown>;
    try {
      body = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
    } catch {
      return reply(res, 400, error('MALFORMED_JSON'));
    }
    const call: SdkCall = { method: req.method ?? '', path: new URL(req.url ?? '/', 'http://x').pathname, body };
    if (req.headers.authorization !== `Bearer ${this.token}`) return reply(res, 401, error('SDK_UNAUTHORIZED'));
    this.record(call);
    switch (`${call.method} ${call.path.slice(SDK_PREFIX.length)}`) {
      case 'POST /ready':
      case 'POST /health':
      case 'POST /sessions/ended':
      case 'POST /shutdown':
      case 'POST /metrics':
      case 'PUT /roster':
        return reply(res, 204);
      case 'POST /sessions/started':
        return this.started(res, call.body);
      case 'GET /watch':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(': connected\n\n');
        this.streams.add(res);
        res.on('close', () => this.streams.delete(res));
        for (const wake of this.streamWaiters.splice(0)) wake();
        return;
      default:
        return reply(res, 404, error('ROUTE_NOT_FOUND'));
    }
  }

  private started(res: ServerResponse, body: Record<string, unknown>): void {
    const playerId = String(body.playerId);
    const allocation = this.allocations.get(playerId);
    // As the control plane: a missing token is refused first (fleets require tokens by default).
    if (body.joinToken === null || body.joinToken === undefined) return reply(res, 401, error('JOIN_TOKEN_REQUIRED'));
    if (!allocation) return reply(res, 409, error('SESSION_NOT_ALLOCATED'));
    if (body.joinToken !== allocation.token) return reply(res, 401, error('JOIN_TOKEN_INVALID'));
    const view: SdkSessionView = { sessionId: allocation.sessionId, playerId, partyId: null, attributes: {} };
    reply(res, 200, view);
  }

  private record(call: SdkCall): void {
    this.calls.push(call);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (waiter?.match(call)) {
        this.waiters.splice(i, 1);
        waiter.resolve(call);
      }
    }
  }
}

function error(code: string) {
  return { error: { code, message: code, retryable: false } };
}

function reply(res: ServerResponse, status: number, body?: unknown): void {
  // As the current control plane: protocol 4 takes the `error` end reason and metrics.
  res.setHeader('Handoff-Sdk-Protocol', '4');
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A port that was free a moment ago: the control plane assigns game ports the same way. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export interface ArenaProcess {
  child: ChildProcess;
  port: number;
  /** Everything the arena printed so far (its log). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const SERVER_PATH = fileURLToPath(new URL('./server.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `examples/arena/server.ts` with the env the control plane would give it. */
export async function spawnArena(sdk: FakeSdk, args: string[] = [], serverId = 'srv_test'): Promise<ArenaProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_PATH, ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      HANDOFF_SDK_URL: sdk.url,
      HANDOFF_TOKEN: sdk.token,
      HANDOFF_SERVER_ID: serverId,
      HANDOFF_ADDRESS: '127.0.0.1',
      HANDOFF_PORTS: JSON.stringify({ game: port }),
      HANDOFF_PORT_GAME: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, port, output: () => output, exited };
}

type Message = { type: string } & Record<string, unknown>;

/** A bare WebSocket player for tests: collects messages and lets the test await them. */
export class TestPlayer {
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void }> = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as Message;
      this.messages.push(msg);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const waiter = this.waiters[i];
        if (waiter?.match(msg)) {
          this.waiters.splice(i, 1);
          waiter.resolve(msg);
        }
      }
    });
  }

  static connect(port: number, player: string, token?: string): TestPlayer {
    const query = new URLSearchParams({ player, ...(token ? { token } : {}) });
    return new TestPlayer(new WebSocket(`ws://127.0.0.1:${port}/play?${query.toString()}`));
  }

  /** The next message of this type that arrives from now on (or one already received, with `seen`). */
  next(type: string, opts: { seen?: boolean; match?: (m: Message) => boolean } = {}): Promise<Message> {
    const match = (m: Message) => m.type === type && (opts.match?.(m) ?? true);
    const earlier = opts.seen ? this.messages.find(match) : undefined;
    if (earlier) return Promise.resolve(earlier);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  send(msg: object): void {
    this.ws.send(JSON.stringify(msg));
  }
}
