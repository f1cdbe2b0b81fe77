/**
 * Where agents connect: WebSocket upgrades on `/v1/hosts/{id}/agent` of the control plane's API
 * listener. Authenticates each with its host token, registers the host on its `hello`, then
 * routes frames to the host's AgentLink and serves its SDK tunnel. See protocol.ts.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorResponse } from '../api/http-errors.js';
import { HandoffError, isHandoffError } from '../core/errors.js';
import type { HostRegistration } from '../hosts/model.js';
import type { RuntimeInstance } from '../runtime/port.js';
import { AgentLink } from './link.js';
import { AGENT_PROTOCOL_VERSION, CloseCodes, parseFromAgent } from './protocol.js';
import { SdkUpstream } from './sdk-upstream.js';

export interface GatewayDeps {
  /** True when `token` is `hostId`'s agent token. */
  authenticate(hostId: string, token: string): boolean;
  /** An agent said hello: record (or update) its host. May refuse by throwing. */
  registered(host: HostRegistration, servers: readonly RuntimeInstance[]): Promise<void>;
  heartbeat(hostId: string): void;
  /** The control plane's loopback SDK endpoint, where tunnelled SDK requests go. */
  sdkUrl(): string;
  /**
   * A welcomed connection ended (the host may come back). `byHost`: the host's side closed it —
   * its agent exited or restarted, and the machine answered — rather than this control plane
   * dropping it (shutdown, a newer connection, an Unreachable host).
   */
  disconnected?(hostId: string, how: { byHost: boolean }): void;
  /** How long an agent may take to say hello. Default 10 s. */
  helloTimeoutMs?: number;
  log?(line: string): void;
}

const AGENT_PATH = /^\/v1\/hosts\/([A-Za-z0-9][A-Za-z0-9_.-]{0,62})\/agent$/;

export class AgentGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  private readonly links = new Map<string, AgentLink>();
  private readonly connected = new Set<WebSocket>();
  /** Which host each welcomed connection speaks for. */
  private readonly hostOf = new WeakMap<WebSocket, string>();
  /** Connections this side ended: their close says nothing about the host. */
  private readonly dropped = new WeakSet<WebSocket>();
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(private readonly deps: GatewayDeps) {}

  /** The link of a host, created on first use (a host may be asked for before its agent connects). */
  link(hostId: string): AgentLink {
    let link = this.links.get(hostId);
    if (!link) {
      link = new AgentLink(hostId);
      this.links.set(hostId, link);
    }
    return link;
  }

  /** For `server.on('upgrade')`: takes agent upgrades, refuses every other with 404. */
  handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => undefined);
    const match = AGENT_PATH.exec((req.url ?? '').split('?')[0] ?? '');
    const hostId = match?.[1];
    if (!hostId || this.closing) return refuse(socket, new HandoffError(this.closing ? 'SHUTTING_DOWN' : 'ROUTE_NOT_FOUND'));
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    // Refused before the upgrade: a wrong token never gets a socket to talk on.
    if (!token || !this.deps.authenticate(hostId, token)) return refuse(socket, new HandoffError('HOST_TOKEN_INVALID', undefined, { hostId }));
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(hostId, ws));
  };

  /**
   * Drops a host's connection at once (its agent was declared Unreachable). A partitioned socket
   * would never close by itself: calls over it would wait for ever, and a partition that heals
   * would resume it silently. Dropped, calls fail fast with HOST_UNREACHABLE, and the agent —
   * once it hears of it — reconnects with a hello listing what it runs (the fencing rule).
   */
  disconnect(hostId: string): void {
    for (const ws of this.connected) {
      if (this.hostOf.get(ws) !== hostId) continue;
      this.dropped.add(ws);
      ws.terminate();
    }
  }

  /** Closes every agent connection (agents reconnect to another replica or to our successor). */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.closing = true;
      for (const ws of this.connected) {
        this.dropped.add(ws);
        ws.close(CloseCodes.shuttingDown, 'control plane shutting down');
      }
      this.wss.close(() => resolve());
    });
    return this.closed;
  }

  private accept(hostId: string, ws: WebSocket): void {
    this.connected.add(ws);
    const link = this.link(hostId);
    const upstream = new SdkUpstream(this.deps.sdkUrl, (m) => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m)); });
    let hello = false;
    const helloTimer = setTimeout(() => ws.close(CloseCodes.badHello, 'no hello'), this.deps.helloTimeoutMs ?? 10_000);
    ws.on('error', () => undefined);
    ws.on('close', () => {
      clearTimeout(helloTimer);
      this.connected.delete(ws);
      upstream.abortAll();
      if (hello) {
        link.detach(ws);
        this.deps.disconnected?.(hostId, { byHost: !this.dropped.has(ws) && this.hostOf.get(ws) === hostId });
      }
    });
    ws.on('message', (data, isBinary) => {
      const message = isBinary ? undefined : parseFromAgent(data.toString());
      if (!message) return ws.close(CloseCodes.badHello, 'not a message of the agent protocol');
      if (!hello) {
        if (message.t !== 'hello' || message.host.id !== hostId || message.protocol !== AGENT_PROTOCOL_VERSION) {
          return ws.close(CloseCodes.badHello, 'the first message must be a hello for this host and protocol');
        }
        hello = true;
        clearTimeout(helloTimer);
        this.deps.registered(message.host, message.servers).then(
          () => {
            if (ws.readyState !== ws.OPEN) return;
            // A newer connection of the same host wins; the older one is told why it is closed.
            const old = [...this.connected].find((c) => c !== ws && this.hostOf.get(c) === hostId);
            this.hostOf.set(ws, hostId);
            link.attach(ws);
            ws.send(JSON.stringify({ t: 'welcome', protocol: AGENT_PROTOCOL_VERSION }));
            if (old) this.dropped.add(old);
            old?.close(CloseCodes.replaced, 'replaced by a newer connection of this host');
          },
          // The code first: the agent logs the close reason, which is all it learns.
          (e: unknown) => ws.close(CloseCodes.badHello, `${isHandoffError(e) ? `${e.code}: ` : ''}${e instanceof Error ? e.message : String(e)}`.slice(0, 120)),
        );
        return;
      }
      switch (message.t) {
        case 'heartbeat': return this.deps.heartbeat(hostId);
        case 'reply': return link.settle(message.id, message);
        case 'exit': return link.exited(message.exit);
        case 'http': return upstream.request(message);
        case 'http-abort': return upstream.abort(message.id);
        case 'hello': return ws.close(CloseCodes.badHello, 'hello twice');
      }
    });
  }
}

/** Answers an upgrade it will not take with the API's coded error body (status from the catalogue). */
function refuse(socket: Duplex, error: HandoffError): void {
  const { status, body } = errorResponse(error);
  const json = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
}
