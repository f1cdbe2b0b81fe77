import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import type { Clock } from '../../src/core/clock.js';
import { SdkError, type HandoffSdk, type Notice } from '../../src/sdk/index.js';
import { ArenaRoom, type PlayerLink } from './game.js';
import { ArenaCloseCodes, parseClientMessage } from './messages.js';
import type { ArenaOptions } from './options.js';

export interface ArenaDeps {
  sdk: HandoffSdk;
  options: ArenaOptions;
  clock: Clock;
  log(line: string): void;
  /** Draws the demo faults (`--crash-rate`, `--abnormal-close-rate`); default Math.random. */
  random?: () => number;
  /** Ends the process at once, as a crash does (the `--crash-rate` fault). */
  crash?: (why: string) => void;
}

export interface Arena {
  readonly port: number;
  /** Stops taking players, closes every socket with 1001 and stops talking to the SDK. Idempotent. */
  shutdown(why: string): Promise<void>;
  /** Settles once the arena has shut down, whether asked by a signal or by a shutdown notice. */
  readonly closed: Promise<void>;
}

/** Dead TCP connections are found by ping/pong; without it a vanished player would hold a seat forever. */
const HEARTBEAT_MS = 5_000;
/** How long shutdown waits for players' close handshakes before exiting anyway. */
const CLOSE_WAIT_MS = 2_000;

/**
 * Starts the arena: HTTP (`/healthz`) and WebSocket (`/play`) on the `game` port, reports to
 * Handoff through the SDK. Resolves once listening; `ready()` is reported in the background
 * (unless `--never-ready`) so a signal during a slow start-up is still honoured.
 */
export async function startArena(deps: ArenaDeps): Promise<Arena> {
  const { sdk, options, clock, log } = deps;
  const room = new ArenaRoom({
    clock,
    reconnectGraceMs: options.reconnectGraceMs,
    version: options.version,
    serverId: sdk.serverId,
    endSession: (playerId, reason, sessionId) => sdk.sessionEnded(playerId, reason, { sessionId }),
    log,
  });
  let closing: Promise<void> | null = null;
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));

  const http = createServer((req, res) => health(req, res));
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://arena');
    if (url.pathname !== '/play' || closing) {
      socket.end(`HTTP/1.1 ${closing ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => void connect(ws, url.searchParams));
  });

  function health(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://arena').pathname !== '/healthz') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"ok":false}');
      return;
    }
    const body = { ok: closing === null, version: options.version, players: room.playerCount, serverId: sdk.serverId };
    res.writeHead(closing ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  async function connect(ws: WebSocket, query: URLSearchParams): Promise<void> {
    const playerId = query.get('player');
    const token = query.get('token');
    const link: PlayerLink = {
      send: (msg) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
      },
      close: (code, reason) => ws.close(code, reason),
    };
    let seated = false;
    ws.on('error', (e) => log(`socket error player=${playerId ?? '?'} error=${e.message}`));
    ws.on('close', () => {
      if (seated && playerId) room.dropped(playerId, link);
    });
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    if (!playerId) {
      ws.close(ArenaCloseCodes.rejected, 'VALIDATION_FAILED');
      return;
    }
    ws.on('message', (data, isBinary) => {
      const msg = isBinary ? undefined : parseClientMessage(data.toString());
      if (msg && seated) room.receive(playerId, link, msg);
    });

    if (room.canResume(playerId, token)) {
      // The seat (and its session) never ended, so the control plane need not hear about it.
      room.resume(playerId, link);
    } else {
      try {
        const session = await sdk.sessionStarted(playerId, token ?? undefined);
        if (closing) {
          ws.close(ArenaCloseCodes.goingAway, 'server shutting down');
          return;
        }
        room.join(playerId, session.sessionId, token, link);
        injectFaults(playerId, session.sessionId);
      } catch (e) {
        const code = e instanceof SdkError ? e.code : 'INTERNAL';
        log(`join refused player=${playerId} code=${code}`);
        ws.close(ArenaCloseCodes.rejected, code);
        return;
      }
    }
    seated = true;
    // The player may have gone while the SDK call was in flight; then the grace starts now.
    if (ws.readyState === WebSocket.CLOSED) room.dropped(playerId, link);
  }

  const alive = new WeakMap<WebSocket, boolean>();
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  const ticker = setInterval(tick, options.tickMs);

  /** One tick; its time goes to release analyses as `custom.tick_ms` (see `--slow-tick-ms`). */
  function tick(): void {
    const started = performance.now();
    room.tick();
    // Busy on purpose: a slow build holds the event loop, it does not sleep.
    while (performance.now() - started < options.slowTickMs) { /* spin */ }
    sdk.metric('tick_ms', performance.now() - started, { kind: 'sample' });
  }

  /** The demo faults, drawn once per session started (see options.ts). */
  function injectFaults(playerId: string, sessionId: string): void {
    const random = deps.random ?? Math.random;
    if (options.crashRate > 0 && random() < options.crashRate && deps.crash) {
      const crash = deps.crash;
      setTimeout(() => crash(`--crash-rate ${options.crashRate} (session ${sessionId})`), options.tickMs);
    }
    if (options.abnormalCloseRate > 0 && random() < options.abnormalCloseRate) {
      setTimeout(() => room.fail(playerId, sessionId, 'desync'), options.tickMs);
    }
  }

  http.listen(sdk.port('game'), '0.0.0.0');
  await once(http, 'listening');
  const port = sdk.port('game');
  log(`arena listening port=${port} version=${options.version} server=${sdk.serverId}`);

  const stopHealth = sdk.startHealth(1_000);
  const watch = sdk.watch(
    (notice) => onNotice(notice),
    { onError: (e) => log(`watch interrupted error=${e instanceof Error ? e.message : String(e)}`) },
  );

  function onNotice(notice: Notice): void {
    log(`notice ${describeNotice(notice)}`);
    if (notice.type === 'shutdown') void arena.shutdown(`shutdown notice graceMs=${notice.graceMs}`);
    else room.notice(notice);
  }

  async function shutdown(why: string): Promise<void> {
    log(`shutting down: ${why} players=${room.playerCount}`);
    clearInterval(heartbeat);
    clearInterval(ticker);
    stopHealth();
    watch.close();
    const sockets = [...wss.clients];
    room.closeAll(ArenaCloseCodes.goingAway, 'server shutting down');
    // Sockets still waiting for sessionStarted are not seated yet; close them too.
    for (const ws of sockets) ws.close(ArenaCloseCodes.goingAway, 'server shutting down');
    const handshakes = Promise.all(sockets.map((ws) => (ws.readyState === WebSocket.CLOSED ? undefined : once(ws, 'close'))));
    await Promise.race([handshakes, delay(CLOSE_WAIT_MS, undefined, { ref: false })]);
    for (const ws of wss.clients) ws.terminate();
    // Reports of players who left just before are delivered rather than lost with the process.
    await room.settled();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    wss.close();
    log('arena stopped');
    markClosed();
  }

  const arena: Arena = {
    port,
    shutdown: (why) => (closing ??= shutdown(why)),
    closed,
  };

  if (options.neverReady) log('not reporting ready (--never-ready)');
  else void reportReady(sdk, log, () => closing !== null);
  return arena;
}

/** Retries until the control plane hears us: it may be restarting while this server boots. */
async function reportReady(sdk: HandoffSdk, log: (line: string) => void, stopped: () => boolean): Promise<void> {
  for (let attempt = 1; !stopped(); attempt++) {
    try {
      await sdk.ready();
      log('ready');
      return;
    } catch (e) {
      log(`ready failed attempt=${attempt} error=${e instanceof SdkError ? e.code : String(e)}`);
      await delay(1_000);
    }
  }
}

function describeNotice(n: Notice): string {
  switch (n.type) {
    case 'drain':
      return `drain reason=${n.reason} deadline=${n.deadline === null ? 'none' : new Date(n.deadline).toISOString()}`;
    case 'drain-cancelled':
      return 'drain-cancelled';
    case 'migrate':
      return `migrate build=${n.build} deadline=${new Date(n.deadline).toISOString()}`;
    case 'maintenance':
      return `maintenance message=${JSON.stringify(n.message)}`;
    case 'sessions-closed':
      // Never log the tokens themselves: each admits its player to the new build.
      return `sessions-closed players=${n.players.join(',')} reason=${n.reason}${n.tokens ? ` tokens=${Object.keys(n.tokens).length}` : ''}`;
    case 'shutdown':
      return `shutdown graceMs=${n.graceMs}`;
  }
}
