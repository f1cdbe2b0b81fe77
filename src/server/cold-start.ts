/**
 * How the control plane reads its state at start (see state/session-load.ts): whole when the
 * store holds few open sessions, or servers and per-server counts first with the sessions
 * streamed in behind when it holds many (a million took ~15 s of CPU to read in).
 */
import type { RouteDef } from '../http/route.js';
import { hasLazySessionReads, type StateStore } from '../store/port.js';
import { LoadedGate, SessionLoad, type SessionGate, type SessionLoadOptions } from '../state/session-load.js';
import { World } from '../state/world.js';

export interface ColdStartOptions extends Pick<SessionLoadOptions, 'chunk' | 'pause' | 'startAfter'> {
  /** Load sessions after the API opens when the store holds more open sessions than this. Default 50,000. */
  lazyAbove?: number;
}

export interface LoadedState {
  world: World;
  /** `LoadedGate` when everything was read before returning. */
  gate: SessionGate;
  lazy: boolean;
}

export async function loadState(store: StateStore, now: number, opts: ColdStartOptions, log: (line: string) => void): Promise<LoadedState> {
  if (!hasLazySessionReads(store)) return { world: World.fromSnapshot(await store.load(now)), gate: LoadedGate, lazy: false };
  const { snapshot, openCounts } = await store.loadWithoutSessions(now);
  let open = 0;
  for (const n of openCounts.values()) open += n;
  if (open <= (opts.lazyAbove ?? 50_000)) {
    // Few enough to read now. Nothing writes between the two reads: the data directory is locked.
    const openSessions = open === 0 ? [] : await store.openSessionsAfter(null, Number.MAX_SAFE_INTEGER);
    return { world: World.fromSnapshot({ ...snapshot, openSessions }), gate: LoadedGate, lazy: false };
  }
  const world = World.fromSnapshot(snapshot, openCounts);
  const started = performance.now();
  const gate = new SessionLoad(world, store, {
    ...(opts.chunk !== undefined ? { chunk: opts.chunk } : {}),
    ...(opts.pause !== undefined ? { pause: opts.pause } : {}),
    ...(opts.startAfter !== undefined ? { startAfter: opts.startAfter } : {}),
    onDone: (n, missing) => log(`${n} open sessions loaded in ${Math.round(performance.now() - started)} ms after start${missing > 0 ? `; ${missing} counted at start never arrived` : ''}`),
  });
  return { world, gate, lazy: true };
}

/** Routes answered while sessions still load: they read what they need by point lookups. */
const ServedWhileLoading = new Set(['POST /v1/allocations', 'DELETE /v1/sessions/{id}']);

/**
 * Every other changing route waits for the load: applying a fleet, starting or aborting a
 * release and the like decide over all of a fleet's sessions. Reads answer at once.
 */
export function gateWrites(routes: readonly RouteDef[], gate: SessionGate): RouteDef[] {
  return routes.map((r) => {
    if (r.method === 'get' || ServedWhileLoading.has(`${r.method.toUpperCase()} ${r.path}`)) return r;
    const handler = r.handler;
    return { ...r, handler: async (input: Parameters<typeof handler>[0]) => (await gate.loaded, handler(input)) };
  });
}
