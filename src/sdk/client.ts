import { SDK_PREFIX, SDK_PROTOCOL_METRICS, type MetricKind, type Notice, type RosterRequest, type SdkEndReason, type SdkSelf, type SdkSessionView } from './protocol.js';
import { MetricBatcher } from './metrics.js';
import { SdkError } from './sdk-error.js';
import { chooseSdkUrls, parseSdkUrls, SdkTransport, type RetryPolicy } from './transport.js';
import { startWatch, type WatchOptions } from './watch.js';

export interface HandoffSdkOptions {
  /** The SDK endpoint: one URL, or every control-plane replica's, comma-separated (HANDOFF_SDK_URLS, else HANDOFF_SDK_URL). */
  url: string;
  /** This server's secret, HANDOFF_TOKEN. */
  token: string;
  serverId: string;
  /** Port name → port number, HANDOFF_PORTS. */
  ports?: Record<string, number>;
  /** The address players connect to, HANDOFF_ADDRESS. Default 127.0.0.1. */
  address?: string;
  /** Where the health loop reports trouble. Default console.warn. */
  log?: (message: string) => void;
  /** How long idempotent calls keep retrying. Default 5000 ms. */
  retryWindowMs?: number;
  /** Timeout of a single request. Default 10000 ms. */
  requestTimeoutMs?: number;
  /**
   * How long `sessionEnded` keeps trying to reach the control plane (which may be restarting).
   * A lost end would leave a ghost session that keeps an old server, and a release, waiting.
   * Default 10 minutes.
   */
  deliveryWindowMs?: number;
  /** How often batched `metric` reports are sent. Default 1000 ms. */
  metricsIntervalMs?: number;
}

type EnvName = 'HANDOFF_SDK_URL' | 'HANDOFF_TOKEN' | 'HANDOFF_SERVER_ID' | 'HANDOFF_PORTS' | 'HANDOFF_ADDRESS';

/**
 * The game-server side of Handoff. Create it with `HandoffSdk.fromEnv()`, call `ready()` once
 * the server can host players, `startHealth()`, and report every player through
 * `sessionStarted` / `sessionEnded`. Failed calls throw `SdkError`.
 */
export class HandoffSdk {
  readonly serverId: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly address: string;
  private readonly transport: SdkTransport;
  private readonly log: (message: string) => void;
  private readonly deliveryWindowMs: number;
  /**
   * This server's roster as the SDK saw it: player → session id, from a successful
   * `sessionStarted` until `sessionEnded` is called. Reported whenever the watch (re)connects.
   */
  private readonly roster = new Map<string, string>();
  /** `sessionEnded` calls still being delivered; a roster report waits for them. */
  private readonly ending = new Set<Promise<unknown>>();
  /** The control plane is too old to take rosters: stop sending them. */
  private rosterUnsupported = false;
  private readonly metrics: MetricBatcher;

  constructor(opts: HandoffSdkOptions) {
    this.deliveryWindowMs = opts.deliveryWindowMs ?? 10 * 60_000;
    this.serverId = opts.serverId;
    this.ports = Object.freeze({ ...opts.ports });
    this.address = opts.address ?? '127.0.0.1';
    this.log = opts.log ?? ((m) => console.warn(m));
    this.transport = new SdkTransport({
      url: opts.url,
      token: opts.token,
      retryWindowMs: opts.retryWindowMs ?? 5_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
    });
    const transport = this.transport;
    this.metrics = new MetricBatcher({
      intervalMs: opts.metricsIntervalMs ?? 1_000,
      log: this.log,
      supported: () => transport.endpointVersion === null || transport.endpointVersion >= SDK_PROTOCOL_METRICS,
      send: (metrics) => transport.call('POST', `${SDK_PREFIX}/metrics`, { metrics }, 'none', 'empty'),
    });
  }

  /** Reads the variables the control plane sets on every game server; throws naming a missing or bad one. */
  static fromEnv(env: Record<string, string | undefined> = process.env): HandoffSdk {
    const get = (name: EnvName): string => {
      const value = env[name];
      if (value === undefined || value === '') {
        throw new Error(`Handoff SDK: environment variable ${name} is not set (is this process started by Handoff?)`);
      }
      return value;
    };
    // One URL, or every control-plane replica's, comma-separated: the SDK fails over between them.
    const given = get('HANDOFF_SDK_URL');
    const url = chooseSdkUrls(given, env['HANDOFF_SDK_URLS']);
    const urls = parseSdkUrls(url);
    if (urls.length === 0 || !urls.every((u) => URL.canParse(u))) {
      const name = url === given ? 'HANDOFF_SDK_URL' : 'HANDOFF_SDK_URLS';
      throw new Error(`Handoff SDK: ${name} is not a URL or a comma-separated list of URLs: ${url}`);
    }
    return new HandoffSdk({
      url,
      token: get('HANDOFF_TOKEN'),
      serverId: get('HANDOFF_SERVER_ID'),
      ports: parsePorts(get('HANDOFF_PORTS')),
      address: get('HANDOFF_ADDRESS'),
    });
  }

  /** The port the control plane assigned to `name` (a port name of the build). */
  port(name: string): number {
    const port = this.ports[name];
    if (port === undefined) {
      const known = Object.keys(this.ports).join(', ') || 'none';
      throw new Error(`Handoff SDK: no port named "${name}" (this server has: ${known})`);
    }
    return port;
  }

  /** The server can host sessions: it starts receiving allocations. */
  async ready(): Promise<void> {
    await this.call('POST', '/ready', undefined, 'idempotent');
  }

  /** One liveness ping. Prefer `startHealth()`. */
  async health(): Promise<void> {
    await this.call('POST', '/health', undefined, 'idempotent');
  }

  /**
   * Pings health every `intervalMs` (immediately, then on an unref'd timer) until the returned
   * function is called. Failures never throw: a control-plane restart must not crash the game
   * server. The first failure of a streak is logged, then the recovery with the count.
   */
  startHealth(intervalMs = 2_000): () => void {
    let inFlight = false;
    let failures = 0;
    const tick = () => {
      // A slow ping is not stacked on: the next tick is the retry.
      if (inFlight) return;
      inFlight = true;
      this.call('POST', '/health', undefined, 'none').then(
        () => {
          if (failures > 0) this.log(`Handoff SDK: health pings recovered after ${failures} failure(s)`);
          failures = 0;
        },
        (e: unknown) => {
          failures += 1;
          if (failures === 1) this.log(`Handoff SDK: health ping failed, will keep trying: ${messageOf(e)}`);
        },
      ).finally(() => {
        inFlight = false;
      });
    };
    tick();
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * A player connected: confirms the session the control plane allocated for them, verifying
   * the join token the player presented. Throws SdkError SESSION_NOT_ALLOCATED,
   * JOIN_TOKEN_INVALID or JOIN_TOKEN_REQUIRED (no token, on a fleet that requires them — the
   * default) when the player should be refused.
   */
  async sessionStarted(playerId: string, joinToken?: string): Promise<SdkSessionView> {
    const view = (await this.call('POST', '/sessions/started', { playerId, joinToken: joinToken ?? null }, 'connection', 'json')) as SdkSessionView;
    this.roster.set(playerId, view.sessionId);
    return view;
  }

  /**
   * A player's session is over: `ended` (left, match over), `disconnected` (dropped, did not
   * return) or `error` (the game ended it because something went wrong: counted against the
   * build by a release analysis; an endpoint older than protocol 4 is told `disconnected`). Pass the `sessionId` from `sessionStarted`: the call is then safe to repeat, so it
   * keeps retrying through a control-plane restart (up to `deliveryWindowMs`), and a late
   * delivery can never close a newer session of the same player.
   */
  async sessionEnded(playerId: string, given: SdkEndReason = 'ended', opts: { sessionId?: string } = {}): Promise<void> {
    const version = this.transport.endpointVersion;
    const reason = given === 'error' && version !== null && version < SDK_PROTOCOL_METRICS ? 'disconnected' : given;
    // Off the roster at once, before delivery: a report must never list a player who left.
    // A late call about an older session leaves the player's current one alone.
    if (opts.sessionId === undefined || this.roster.get(playerId) === opts.sessionId) this.roster.delete(playerId);
    const delivery = opts.sessionId === undefined
      ? this.call('POST', '/sessions/ended', { playerId, reason }, 'connection')
      : this.transport.call('POST', `${SDK_PREFIX}/sessions/ended`, { playerId, reason, sessionId: opts.sessionId }, 'idempotent', 'empty', this.deliveryWindowMs);
    this.ending.add(delivery);
    try {
      await delivery;
    } finally {
      this.ending.delete(delivery);
    }
  }

  /**
   * Reports a custom metric (tick time, match errors, desyncs) for release analyses, which compare
   * it between the canary and the baseline as `custom.<name>`. Never waits and never throws for
   * delivery: reports are batched (counters summed, gauges keep their last value) and sent every
   * `metricsIntervalMs`; a chatty game loses reports beyond 1,000 per interval (counted in the
   * log), never its SDK. Throws only for a name the control plane would refuse: lower case
   * letters, digits and `_` in dot-separated segments, starting with a letter, at most 57 characters.
   */
  metric(name: string, value: number, opts: { kind?: MetricKind; sessionId?: string } = {}): void {
    this.metrics.add(name, value, opts.kind ?? 'sample', opts.sessionId ?? null);
  }

  /** Sends the batched metric reports now (before a planned exit, say). Never throws. */
  flushMetrics(): Promise<void> {
    return this.metrics.flush();
  }

  /** The players connected to this server as the SDK saw them (`sessionStarted` … `sessionEnded`). */
  players(): string[] {
    return [...this.roster.keys()];
  }

  /**
   * Tells the control plane every player connected right now (default: `players()`), so it can
   * recover sessions its store lost and close those of players who are gone. `watch` sends one
   * by itself on every (re)connect; call this yourself only if you track players another way.
   */
  async reportRoster(players: readonly string[] = this.players()): Promise<void> {
    const sessions: Record<string, string> = {};
    for (const p of players) {
      const id = this.roster.get(p);
      if (id !== undefined) sessions[p] = id;
    }
    const body: RosterRequest = { players: [...players], sessions };
    await this.call('PUT', '/roster', body, 'idempotent');
  }

  /** Changes how many sessions this server hosts at once (0 stops new allocations). */
  async setCapacity(n: number): Promise<void> {
    await this.call('PUT', '/capacity', { capacity: n }, 'idempotent');
  }

  /** This server as the control plane sees it, with its open sessions. */
  async self(): Promise<SdkSelf> {
    return (await this.call('GET', '/self', undefined, 'idempotent', 'json')) as SdkSelf;
  }

  /** Asks to be drained and stopped once the last session ends. */
  async shutdown(): Promise<void> {
    await this.call('POST', '/shutdown', undefined, 'connection');
  }

  /**
   * Streams notices (drain, shutdown, …) to `onNotice` until `close()`, reconnecting by itself.
   * A notice may be delivered again after a reconnect; handle them idempotently.
   */
  watch(onNotice: (n: Notice) => void, opts: WatchOptions = {}): { close(): void } {
    const timing = { firstBackoffMs: 100, maxBackoffMs: 5_000, idleTimeoutMs: 45_000 };
    return startWatch(this.transport, onNotice, opts, timing, () => void this.reportOnConnect(opts.onError));
  }

  /** After the watch (re)connects — perhaps to a restarted control plane — report the roster. */
  private async reportOnConnect(onError: ((e: unknown) => void) | undefined): Promise<void> {
    if (this.rosterUnsupported) return;
    // Ends still in delivery go first, so the report does not close those sessions as `roster`.
    await Promise.allSettled([...this.ending]);
    try {
      await this.reportRoster();
    } catch (e) {
      // An older control plane: it answers every unknown path this way.
      if (e instanceof SdkError && e.code === 'ROUTE_NOT_FOUND') this.rosterUnsupported = true;
      onError?.(e);
    }
  }

  private call(method: string, path: string, body: unknown, policy: RetryPolicy, expect: 'json' | 'empty' = 'empty'): Promise<unknown> {
    return this.transport.call(method, SDK_PREFIX + path, body, policy, expect);
  }
}

function parsePorts(raw: string): Record<string, number> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`Handoff SDK: HANDOFF_PORTS is not JSON: ${raw}`);
  }
  const valid =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((p) => Number.isInteger(p) && p > 0 && p < 65_536);
  if (!valid) throw new Error(`Handoff SDK: HANDOFF_PORTS must map port names to port numbers: ${raw}`);
  return value as Record<string, number>;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
