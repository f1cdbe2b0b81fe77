/**
 * A real player: a raw WebSocket client of the arena, driven step by step so a test decides
 * exactly when it allocates, connects and leaves, and can tell afterwards how it was closed.
 */
import { WebSocket } from 'ws';
import type { ServerMessage } from '../../../examples/arena/messages.js';
import { must, type Allocation, type Api } from './api.js';
import { waitFor } from './wait.js';

export interface CloseRecord {
  code: number;
  reason: string;
  /** True when the game server sent the close frame first (a `leave` is answered that way). */
  byServer: boolean;
}

type Welcome = Extract<ServerMessage, { type: 'welcome' }>;

/** A notice or move the game passed on to the player, and when it arrived (ms since epoch). */
export type Heard = { at: number; message: Extract<ServerMessage, { type: 'notice' | 'migrate' }> };

export class Player {
  private ticks = 0;
  private welcome: Welcome | null = null;
  private closeRecord: CloseRecord | null = null;
  private closingByClient = false;
  /** Every notice and migrate message the game sent this player, in order. */
  readonly heard: Heard[] = [];

  private constructor(
    readonly allocation: Allocation,
    private readonly ws: WebSocket,
  ) {
    ws.on('message', (data, isBinary) => {
      const msg = isBinary ? undefined : parse(data.toString());
      if (msg?.type === 'tick') this.ticks++;
      else if (msg?.type === 'welcome') this.welcome = msg;
      else if (msg?.type === 'notice' || msg?.type === 'migrate') this.heard.push({ at: Date.now(), message: msg });
    });
    ws.on('close', (code, reason) => {
      this.closeRecord = { code, reason: reason.toString(), byServer: !this.closingByClient };
    });
    // A refused or reset socket reports through 'close'; without a listener 'error' would throw.
    ws.on('error', () => undefined);
  }

  /** Allocates a session (one request, no retry) and plays it: see `connect`. */
  static async join(api: Api, fleet: string, playerId: string): Promise<Player> {
    const allocation = must(await api.allocate(fleet, playerId), `allocate ${playerId}`);
    return Player.connect(allocation);
  }

  /** Connects with the allocation's join token and resolves once the first tick arrives. */
  static async connect(allocation: Allocation): Promise<Player> {
    const { server, playerId, joinToken } = allocation;
    const port = server.ports.game;
    if (port === undefined) throw new Error(`allocation of ${playerId} has no game port: ${JSON.stringify(server)}`);
    const query = new URLSearchParams({ player: playerId, token: joinToken });
    const ws = new WebSocket(`ws://${server.address}:${port}/play?${query.toString()}`);
    const player = new Player(allocation, ws);
    await waitFor(() => player.ticks > 0 || player.closeRecord !== null, { what: `${playerId}'s first tick from ${server.id}`, timeoutMs: 20_000 });
    if (player.closeRecord) throw new Error(`${playerId} was refused by ${server.id}: ${JSON.stringify(player.closeRecord)}`);
    return player;
  }

  get id(): string {
    return this.allocation.playerId;
  }

  get sessionId(): string {
    return this.allocation.sessionId;
  }

  get serverId(): string {
    return this.allocation.server.id;
  }

  get build(): string {
    return this.allocation.server.build;
  }

  /** Ticks received so far. */
  get tickCount(): number {
    return this.ticks;
  }

  /** What the server said on joining (its server id, version and the session id). */
  get welcomed(): Welcome | null {
    return this.welcome;
  }

  /** Null while the socket is open. */
  get closed(): CloseRecord | null {
    return this.closeRecord;
  }

  get connected(): boolean {
    return this.closeRecord === null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Resolves once `n` more ticks arrived: proof the game still streams to this player. */
  async receivesTicks(n = 2, timeoutMs = 20_000): Promise<void> {
    const target = this.ticks + n;
    await waitFor(() => this.ticks >= target || this.closeRecord !== null, { what: `${n} more ticks for ${this.id}`, timeoutMs });
    if (this.ticks < target) throw new Error(`${this.id} was disconnected instead of ticking: ${JSON.stringify(this.closeRecord)}`);
  }

  /** Leaves the game normally (`{type:'leave'}`) and resolves with how the socket closed. */
  async leave(timeoutMs = 20_000): Promise<CloseRecord> {
    if (this.closeRecord) throw new Error(`${this.id} cannot leave: already closed ${JSON.stringify(this.closeRecord)}`);
    this.ws.send(JSON.stringify({ type: 'leave' }));
    return waitFor(() => this.closeRecord, { what: `${this.id}'s socket to close after leaving`, timeoutMs });
  }

  /** Drops the socket without a word (teardown). */
  terminate(): void {
    this.closingByClient = true;
    this.ws.terminate();
  }
}

/** A frame from the arena; undefined for anything that is not JSON (never thrown in a socket handler). */
function parse(text: string): ServerMessage | undefined {
  try {
    return JSON.parse(text) as ServerMessage;
  } catch {
    return undefined;
  }
}
