/**
 * `handoff agent`: runs a host's game servers with the local runtime on behalf of the control
 * plane. Connects out (protocol.ts), says hello with what it runs, answers runtime calls,
 * reports exits, heartbeats, and tunnels its game servers' SDK traffic. Servers outlive the
 * agent: a restarted agent reads what it ran from its data directory and re-adopts it.
 */
import { renameSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { isHandoffError } from '../core/errors.js';
import type { HostRegistration } from '../hosts/model.js';
import { LocalRuntime } from '../runtime/local/local-runtime.js';
import type { RuntimeExit, RuntimeInstance, ServerLaunch } from '../runtime/port.js';
import { AGENT_PROTOCOL_VERSION, parseToAgent, type FromAgent, type RuntimeOp, type ToAgent } from './protocol.js';
import { nextAttempt, type AttemptOutcome } from './reconnect.js';
import { SdkProxy } from './sdk-proxy.js';

export interface AgentOptions {
  /** Control-plane API URLs, tried in turn (replicas of one control plane). */
  controlPlanes: readonly string[];
  host: HostRegistration;
  token: string;
  /** Game-server logs and the record of running servers. */
  dataDir: string;
  /** Loopback port of the SDK endpoint game servers use. 0: any free one. */
  sdkPort: number;
  heartbeatMs?: number;
  reconnectMs?: number;
  log?: (line: string) => void;
}

export class Agent {
  private ws: WebSocket | null = null;
  private welcomed = false;
  private readonly servers = new Map<string, RuntimeInstance>();
  /** Exits not yet told to a control plane: sent after the next welcome. */
  private readonly unsent: RuntimeExit[] = [];
  /** The control-plane URL being tried, and immediate retries since the last wait (reconnect.ts). */
  private current = 0;
  private quick = 0;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly log: (line: string) => void;

  private constructor(
    private readonly opts: AgentOptions,
    private readonly runtime: LocalRuntime,
    private readonly sdk: SdkProxy,
  ) {
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  static async start(opts: AgentOptions): Promise<Agent> {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const runtime = LocalRuntime.create({ logDir: path.join(opts.dataDir, 'logs'), portRange: opts.host.portRange, address: opts.host.publicAddress });
    // The proxy exists before the agent it sends through; until then nothing is connected.
    const ref: { agent?: Agent } = {};
    const sdk = await SdkProxy.start(opts.sdkPort, (m) => ref.agent?.send(m) ?? false);
    const agent = new Agent(opts, runtime, sdk);
    ref.agent = agent;
    await agent.readopt();
    runtime.onExit((exit) => agent.exited(exit));
    agent.connect();
    return agent;
  }

  get sdkUrl(): string {
    return this.sdk.url;
  }

  /** Disconnects and stops serving the SDK; game servers keep running (a restart re-adopts them). */
  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    this.ws?.close(1000, 'agent stopping');
    await this.sdk.close();
    await this.runtime.close();
  }

  /** After an agent restart: what it ran before, still running and provably the same processes. */
  private async readopt(): Promise<void> {
    let before: RuntimeInstance[] = [];
    try {
      before = JSON.parse(readFileSync(this.stateFile, 'utf8')) as RuntimeInstance[];
    } catch {
      return;
    }
    const { adopted } = await this.runtime.adopt(before);
    for (const i of before) if (adopted.includes(i.serverId)) this.servers.set(i.serverId, i);
    // Those gone meanwhile exited while nobody watched: the control plane learns it from the
    // hello (they are not listed) and its own reconciliation.
    this.save();
    if (before.length > 0) this.log(`agent: re-adopted ${adopted.length} of ${before.length} game servers`);
  }

  private get stateFile(): string {
    return path.join(this.opts.dataDir, 'servers.json');
  }

  private save(): void {
    const tmp = `${this.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.servers.values()]), { mode: 0o600 });
    renameSync(tmp, this.stateFile);
  }

  private connect(): void {
    if (this.stopped) return;
    const base = this.opts.controlPlanes[this.current] ?? '';
    const url = `${base.replace(/^http/i, 'ws').replace(/\/+$/, '')}/v1/hosts/${encodeURIComponent(this.opts.host.id)}/agent`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.opts.token}` }, handshakeTimeout: 10_000 });
    this.ws = ws;
    let outcome: AttemptOutcome = { kind: 'failed' };
    ws.on('open', () => {
      const hello: FromAgent = { t: 'hello', protocol: AGENT_PROTOCOL_VERSION, host: this.opts.host, servers: [...this.servers.values()] };
      ws.send(JSON.stringify(hello));
    });
    ws.on('message', (data) => this.receive(ws, data.toString()));
    ws.on('unexpected-response', (_req, res) => {
      // Read the coded body: a follower's NO_LEADER means "try the next URL now", not "back off".
      let body = '';
      res.on('data', (d: Buffer) => { if (body.length < 4096) body += d.toString(); });
      res.on('error', () => ws.terminate());
      res.on('end', () => {
        outcome = refusal(body);
        this.log(`agent: ${base} refused the connection (HTTP ${res.statusCode}${outcome.kind === 'not-leader' ? ', not the leader' : ''})`);
        ws.terminate();
      });
    });
    ws.on('error', (e) => { if (outcome.kind === 'failed') this.log(`agent: connection to ${base} failed: ${e.message}`); });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.welcomed = false;
      clearInterval(this.heartbeat);
      this.sdk.disconnected();
      if (code >= 4000) this.log(`agent: ${base} closed the connection: ${code} ${reason.toString()}`);
      if (this.stopped) return;
      const next = nextAttempt({ urls: this.opts.controlPlanes, current: this.current, outcome, quick: this.quick, reconnectMs: this.opts.reconnectMs ?? 1_000 });
      this.current = next.index;
      this.quick = next.quick;
      this.retry = setTimeout(() => this.connect(), next.delayMs);
    });
  }

  private receive(ws: WebSocket, text: string): void {
    const m = parseToAgent(text);
    if (!m) return;
    switch (m.t) {
      case 'welcome':
        this.welcomed = true;
        this.quick = 0;
        this.log(`agent: host ${this.opts.host.id} connected`);
        for (const exit of this.unsent.splice(0)) this.send({ t: 'exit', exit });
        this.heartbeat = setInterval(() => this.send({ t: 'heartbeat' }), this.opts.heartbeatMs ?? 2_000);
        return;
      case 'call':
        void this.call(m.op, m.args).then(
          (result) => this.reply(ws, { t: 'reply', id: m.id, ok: true, result: result ?? null }),
          (e: unknown) => this.reply(ws, { t: 'reply', id: m.id, ok: false, error: { code: isHandoffError(e) ? e.code : 'INTERNAL', message: e instanceof Error ? e.message : String(e) } }),
        );
        return;
      default:
        this.sdk.receive(m);
    }
  }

  private async call(op: RuntimeOp, args: unknown): Promise<unknown> {
    const a = args as Record<string, unknown>;
    switch (op) {
      case 'start': {
        const launch = args as ServerLaunch;
        // The game server talks to this host's loopback; the agent carries it to the control plane.
        // Both variables: the control plane's list names its own loopback, useless on this host.
        const instance = await this.runtime.start({ ...launch, env: { ...launch.env, HANDOFF_SDK_URL: this.sdk.url, HANDOFF_SDK_URLS: this.sdk.url } });
        this.servers.set(instance.serverId, instance);
        this.save();
        return instance;
      }
      case 'stop':
        return this.runtime.stop(String(a.serverId), { graceMs: Number(a.graceMs) }).then(() => null);
      case 'adopt': {
        const instances = a.instances as RuntimeInstance[];
        const result = await this.runtime.adopt(instances);
        for (const i of instances) if (result.adopted.includes(i.serverId) && !this.servers.has(i.serverId)) this.servers.set(i.serverId, i);
        this.save();
        return result;
      }
      case 'find':
        return (await this.runtime.find(String(a.serverId))) ?? null;
    }
  }

  private exited(exit: RuntimeExit): void {
    this.servers.delete(exit.serverId);
    this.save();
    if (!this.send({ t: 'exit', exit })) this.unsent.push(exit);
  }

  private reply(ws: WebSocket, m: FromAgent): void {
    // An answer for a connection that is gone is dropped: its caller already failed.
    if (ws === this.ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
  }

  /** Sends on the current connection; false when there is none to send on. */
  send(m: FromAgent): boolean {
    const ws = this.ws;
    if (!ws || !this.welcomed || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(m));
    return true;
  }
}

/** A refusal's coded body: NO_LEADER (from a follower, cluster/follower.ts) or anything else. */
function refusal(body: string): AttemptOutcome {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; details?: { leader?: unknown } } };
    if (parsed.error?.code !== 'NO_LEADER') return { kind: 'failed' };
    const leader = parsed.error.details?.leader;
    return typeof leader === 'string' ? { kind: 'not-leader', leaderUrl: leader } : { kind: 'not-leader' };
  } catch {
    return { kind: 'failed' };
  }
}

export type { ToAgent };
