/**
 * Open sessions loaded after the API opens. A cold start with a million open sessions spent most
 * of its time reading, parsing and indexing them; allocations need none of that, only each
 * server's count of open sessions (so no seat is given twice) and, for a player who already
 * has a session, that session (a reconnect). So the control plane starts from servers plus
 * per-server counts (`World.fromSnapshot(snapshot, openCounts)`), and this streams the sessions in behind, in
 * chunks that yield to the event loop.
 *
 * Meanwhile an operation that needs a session not yet loaded loads it first: by player (an
 * allocation's reconnect, a game server's `sessionStarted`/`sessionEnded`), by id (an API
 * close) or by server (an exit, a lost server at recovery) — a point read of the store, taken
 * in with `adoptStoredSession`, which the stream then skips. What needs every session (party
 * placement, roster reports, reconcile passes, releases) waits for `loaded`.
 */
import type { LazySessionReads, StateStore } from '../store/port.js';
import type { World } from './world.js';

/** What services ask while sessions may still be loading; every method is a no-op once loaded. */
export interface SessionGate {
  /** Settles when every open session is in the world. */
  readonly loaded: Promise<void>;
  /** Makes the player's open session in `fleet` (if any) present in the world. */
  player(fleet: string, playerId: string): Promise<void>;
  /** Makes this session present if it is open. */
  session(id: string): Promise<void>;
  /** Makes every open session on this server present. */
  server(serverId: string): Promise<void>;
}

export interface SessionLoadOptions {
  /**
   * Sessions per chunk; the event loop runs between two. Default 5,000: a chunk is read and taken
   * in without a turn between (~25 ms here), and an allocation answered meanwhile waits behind
   * one chunk per turn it takes (at 20,000, ~0.1 s each on this machine).
   */
  chunk?: number;
  /**
   * The first chunk is read once this settles (default: at once). The control plane passes its
   * listening: read before, the chunks would compete with its own start for the event loop.
   */
  startAfter?: Promise<void>;
  /** Called between chunks; default one `setImmediate` turn. Tests slow the load down with it. */
  pause?: () => Promise<void>;
  /** Told when the load ends: sessions taken in, and counted ones that never arrived (should be 0). */
  onDone?: (loaded: number, missing: number) => void;
  onError?: (e: unknown) => void;
}

/** The most open sessions one server can hold is its capacity; a point read by server asks for this many at most. */
const PER_SERVER_LIMIT = 100_000;

export class SessionLoad implements SessionGate {
  readonly loaded: Promise<void>;

  /** Starts streaming at once; the world must have been built with the open counts (or had `beginSessionLoad`). */
  constructor(
    private readonly world: World,
    private readonly store: StateStore & LazySessionReads,
    opts: SessionLoadOptions = {},
  ) {
    const pause = opts.pause ?? (() => new Promise<void>((r) => setImmediate(r)));
    const start = opts.startAfter ?? Promise.resolve();
    this.loaded = start.then(() => this.stream(opts.chunk ?? 5_000, pause)).then(
      (n) => opts.onDone?.(n, world.finishSessionLoad()),
      (e: unknown) => {
        // A failed read leaves the world counting what it could not load: seats stay held, and
        // the caller decides (the control plane stops, as after a failed commit).
        opts.onError?.(e);
        throw e;
      },
    );
    // Observed by whoever waits on it; never an unhandled rejection on its own.
    this.loaded.catch(() => undefined);
  }

  async player(fleet: string, playerId: string): Promise<void> {
    if (!this.world.sessionsLoading || this.world.openSessionOf(fleet, playerId)) return;
    const [s] = await this.store.listSessions({ fleet, playerId, open: true, limit: 1 });
    if (s) this.world.adoptStoredSession(s);
  }

  async session(id: string): Promise<void> {
    if (!this.world.sessionsLoading || this.world.sessions.has(id)) return;
    const s = await this.store.getSession(id);
    if (s && s.state !== 'Closed') this.world.adoptStoredSession(s);
  }

  async server(serverId: string): Promise<void> {
    if (!this.world.sessionsLoading) return;
    const sessions = await this.store.listSessions({ server: serverId, open: true, limit: PER_SERVER_LIMIT });
    for (const s of sessions) this.world.adoptStoredSession(s);
  }

  private async stream(chunk: number, pause: () => Promise<void>): Promise<number> {
    let after: { openedAt: number; id: string } | null = null;
    let taken = 0;
    for (;;) {
      // First turn too: the first chunk is read after the API opens, not while it starts.
      await pause();
      const page = await this.store.openSessionsAfter(after, chunk);
      for (const s of page) if (this.world.adoptStoredSession(s)) taken++;
      const last = page.at(-1);
      if (!last || page.length < chunk) return taken;
      after = { openedAt: last.openedAt, id: last.id };
    }
  }
}

/** The gate of a world loaded whole: nothing to wait for. */
export const LoadedGate: SessionGate = {
  loaded: Promise.resolve(),
  player: () => Promise.resolve(),
  session: () => Promise.resolve(),
  server: () => Promise.resolve(),
};
