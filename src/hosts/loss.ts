/**
 * Host loss, as pure decisions (docs/hosts.md, "Host loss"). No I/O, no clock: `now` is given.
 *
 * A host whose agent has been silent past the heartbeat timeout is **Unreachable**: each of its
 * game servers is *fenced* — it takes no new session ever again and no longer counts as the
 * fleet's capacity, so the fleet planner starts replacements on other hosts. Its sessions stay
 * open: a partition cuts the control plane off, not necessarily the players, who may still be
 * playing. Only past the longer lost timeout are they closed, as `host_lost`.
 *
 * Silence is measured over observed time only (as the fleet planner's deadlines): a control
 * plane that was down or stalled heard nothing, which says nothing about the hosts, so the
 * clock starts at the later of the last heartbeat and `observingSince`.
 */
export interface LossHost {
  id: string;
  lastHeartbeatAt: number;
  /** The control plane's own host: never silent. */
  alwaysAlive: boolean;
  /**
   * Its agent's connection was closed from the host's side (the agent exited or restarted; the
   * machine answered) and it has not said hello since. Not a partition: its servers outlive the
   * agent and keep their players, and their own health deadlines govern them (no SDK traffic →
   * Unhealthy → replaced; healthy again once re-adopted). Such a host is fenced only once lost.
   */
  agentLeft?: boolean;
}

export interface LossServer {
  id: string;
  host: string;
  /** Crashed or Stopped: gone, nothing to fence. */
  terminal: boolean;
  /** Already fenced (its host was declared Unreachable before). */
  fenced: boolean;
  /** Its stop was already asked for: it is going, nothing to fence. */
  stopRequested: boolean;
}

export interface LossInput {
  hosts: readonly LossHost[];
  /** Game servers with the host they run on. */
  servers: readonly LossServer[];
  /** Open sessions, by server. */
  sessions: readonly { id: string; server: string }[];
  /** Hosts whose unreachability was already recorded (one event per outage). */
  announced: ReadonlySet<string>;
  now: number;
  observingSince: number;
  heartbeatTimeoutMs: number;
  lostTimeoutMs: number;
}

export type LossAction =
  | { kind: 'unreachable'; hostId: string; silentMs: number }
  | { kind: 'fence'; serverId: string; hostId: string }
  | { kind: 'host-lost'; sessionId: string; serverId: string; hostId: string };

export type Liveness = 'alive' | 'unreachable' | 'lost';

/** How long the host has been silent, counted over observed time only. */
export function silentMs(host: LossHost, now: number, observingSince: number): number {
  if (host.alwaysAlive) return 0;
  return Math.max(0, now - Math.max(host.lastHeartbeatAt, observingSince));
}

/**
 * `unreachable` past the heartbeat timeout (unless its agent merely exited, see `agentLeft`),
 * `lost` past the (longer) lost timeout.
 */
export function liveness(host: LossHost, now: number, observingSince: number, heartbeatTimeoutMs: number, lostTimeoutMs: number): Liveness {
  const silent = silentMs(host, now, observingSince);
  if (silent > Math.max(lostTimeoutMs, heartbeatTimeoutMs)) return 'lost';
  // An agent that exited (a crash, kill -9, an upgrade) is restarted and re-adopts its servers:
  // fencing them would replace a whole host's servers on every agent restart.
  if (silent > heartbeatTimeoutMs && host.agentLeft !== true) return 'unreachable';
  return 'alive';
}

/**
 * What to do this pass: record each newly Unreachable host once, fence each of its servers not
 * fenced yet, and once it is lost close each session still open on its servers as `host_lost`.
 * Idempotent: applied actions do not come back (fenced servers, closed sessions, announced hosts).
 */
export function planHostLoss(input: LossInput): LossAction[] {
  const actions: LossAction[] = [];
  const down = new Map<string, Liveness>();
  for (const h of input.hosts) {
    const state = liveness(h, input.now, input.observingSince, input.heartbeatTimeoutMs, input.lostTimeoutMs);
    if (state === 'alive') continue;
    down.set(h.id, state);
    if (!input.announced.has(h.id)) actions.push({ kind: 'unreachable', hostId: h.id, silentMs: silentMs(h, input.now, input.observingSince) });
  }
  if (down.size === 0) return actions;
  const hostOf = new Map<string, string>();
  for (const s of input.servers) {
    if (!down.has(s.host) || s.terminal) continue;
    hostOf.set(s.id, s.host);
    if (!s.fenced && !s.stopRequested) actions.push({ kind: 'fence', serverId: s.id, hostId: s.host });
  }
  for (const sess of input.sessions) {
    const host = hostOf.get(sess.server);
    if (host !== undefined && down.get(host) === 'lost') actions.push({ kind: 'host-lost', sessionId: sess.id, serverId: sess.server, hostId: host });
  }
  return actions;
}

export interface RejoinServer {
  id: string;
  fenced: boolean;
  stopRequested: boolean;
}

export interface RejoinPlan {
  /** Fenced servers the host still runs: kept Draining (never allocatable again), stopped once empty. */
  drain: string[];
  /** Servers whose stop was asked while the host could not hear it: asked again. */
  stopAgain: string[];
  /**
   * Servers the host still runs whose sessions the control plane's record may no longer match
   * (they ran unobserved): kept until the game server reports its roster, which reconciles them.
   */
  reconcile: string[];
}

/**
 * The fencing rule on re-join: what a host's hello (`reported`, the servers it runs) means for
 * the servers the control plane placed there (`known`). A fenced server was replaced while its
 * host was away; it stays fenced, so it is never allocatable twice — it drains. Servers the host
 * no longer runs are the runtime's business (reported as exits), not decided here.
 */
export function planRejoin(known: readonly RejoinServer[], reported: readonly string[]): RejoinPlan {
  const running = new Set(reported);
  const plan: RejoinPlan = { drain: [], stopAgain: [], reconcile: [] };
  for (const s of known) {
    if (!running.has(s.id)) continue;
    if (s.stopRequested) plan.stopAgain.push(s.id);
    else if (s.fenced) plan.drain.push(s.id);
    if (s.fenced) plan.reconcile.push(s.id);
  }
  return plan;
}
