/**
 * Pure fleet planner: from one observation of a fleet, decide which servers to start, which
 * empty servers to stop, and which to mark (un)healthy. No I/O, no clock: `now` is given.
 *
 * The invariant every release depends on lives here: a server that hosts a session is never
 * stopped. Only servers known to be empty are ever chosen (see the property tests): no open
 * session, an empty roster of its own, and observed since the last restart.
 *
 * Deadlines (health, start) are judged only over time the control plane was observing: a
 * stalled or restarted control plane heard nothing, which says nothing about the servers.
 */
import type { ServerState } from './model.js';

/** What a rollout (or the routing table) wants from each build of the fleet. */
export type BuildRole =
  /**
   * Takes new sessions: scaled by demand, `share` of the fleet's min/max. With `cap`, never more
   * than that many servers up (an in-place canary keeps the whole fleet within its maxServers).
   */
  | { role: 'routed'; share: number; cap?: number }
  /** Being prepared for a switch: keep exactly `target` servers up, take no sessions yet. */
  | { role: 'preview'; target: number }
  /**
   * Takes no new sessions: stop each server once it has been empty for `idleSeconds`. With
   * `fallback`, the routing may still send it the sessions newer builds have no room for (a
   * dynamic pool): it never grows, and retires all the same.
   */
  | { role: 'retiring'; idleSeconds: number; fallback?: boolean };

export interface ServerObservation {
  id: string;
  build: string;
  state: ServerState;
  /** Open sessions (reserved or connected). */
  used: number;
  /** Players on the server's own roster as last reported and kept current; 0 if it never reported. */
  roster: number;
  /**
   * Not observed since the control plane (re)started: the store's word that it is empty is not
   * enough to stop it (the store may have lost sessions). Cleared by a roster report, a session
   * end that leaves it empty, or its own shutdown request.
   */
  unverified: boolean;
  createdAt: number;
  lastHealthAt: number | null;
  emptySince: number | null;
  stopRequestedAt: number | null;
}

export interface FleetObservation {
  capacity: { minServers: number; maxServers: number; bufferServers: number; idleTimeoutSeconds: number };
  health: { timeoutSeconds: number; startTimeoutSeconds: number };
  /** Non-terminal servers of the fleet. */
  servers: readonly ServerObservation[];
  roles: ReadonlyMap<string, BuildRole>;
  /** Crash-loop backoff: no new server of a build before this time. */
  startNotBefore: ReadonlyMap<string, number>;
  /**
   * Since when the control plane has observed without interruption: its start, or the end of
   * its last stall (SIGSTOP, a long GC pause, a frozen VM). Deadlines run from no earlier.
   */
  observingSince: number;
  now: number;
}

/**
 * What an incremental pass knows of the servers it does not list, per build (see
 * `planFleetPart`): how many are up, how many of those host players, and how many are Ready and
 * idle past the fleet's idle time (candidates for a scale-down).
 */
export interface BuildTally {
  up: number;
  busy: number;
  idle: number;
}

/**
 * An observation of part of a fleet: `servers` lists only some of its servers, `rest` tallies
 * the others. The caller vouches that no server of `rest` is due an action of its own (no
 * deadline passed, nothing changed since it was last planned, under the same roles).
 */
export interface PartialFleetObservation extends FleetObservation {
  rest: ReadonlyMap<string, BuildTally>;
}

export const StopReasons = ['scale-down', 'retired', 'unhealthy', 'start-timeout', 'drained'] as const;
export type StopReason = (typeof StopReasons)[number];

export type FleetAction =
  | { kind: 'start'; build: string; count: number }
  | { kind: 'stop'; serverId: string; reason: StopReason }
  | { kind: 'health'; serverId: string; healthy: boolean };

export const UP: ReadonlySet<ServerState> = new Set(['Starting', 'Ready', 'Active']);

/** Players on the server as far as anyone knows: its open sessions or its own roster. */
export function occupancy(s: Pick<ServerObservation, 'used' | 'roster'>): number {
  return Math.max(s.used, s.roster);
}

/** Whether the server may host players: never stop it. Unverified counts, but not as demand. */
export function occupied(s: ServerObservation): boolean {
  return s.unverified || occupancy(s) > 0;
}

export function planFleet(obs: FleetObservation): FleetAction[] {
  // Without `rest` every server is listed: the plan never needs more than it was given.
  return plan(obs, EMPTY) ?? [];
}

/**
 * The same plan from part of a fleet: equal to `planFleet` over the whole fleet, or null when
 * the plan needs servers that are not listed (a scale-down must pick among every idle server).
 * This is what lets a reconcile pass visit only what changed (src/reconcile/incremental.ts).
 */
export function planFleetPart(obs: PartialFleetObservation): FleetAction[] | null {
  return plan(obs, obs.rest);
}

const EMPTY: ReadonlyMap<string, BuildTally> = new Map();
const NONE: BuildTally = { up: 0, busy: 0, idle: 0 };

function plan(obs: FleetObservation, rest: ReadonlyMap<string, BuildTally>): FleetAction[] | null {
  const actions: FleetAction[] = [];
  const stopping = new Set<string>();
  const stop = (s: ServerObservation, reason: StopReason): void => {
    if (occupied(s) || stopping.has(s.id) || s.stopRequestedAt !== null) return;
    stopping.add(s.id);
    actions.push({ kind: 'stop', serverId: s.id, reason });
  };

  const states = new Map<string, ServerState>();
  for (const s of obs.servers) states.set(s.id, healthStep(s, obs, actions, stop));
  const live = obs.servers.filter((s) => !stopping.has(s.id));
  const stateOf = (s: ServerObservation): ServerState => states.get(s.id) ?? s.state;

  for (const s of live) {
    // A Draining server is stopped once empty, whatever its build's role.
    if (s.state === 'Draining' && !occupied(s)) stop(s, 'drained');
  }

  const builds = new Set<string>([...obs.roles.keys(), ...live.map((s) => s.build), ...rest.keys()]);
  for (const build of [...builds].sort()) {
    const role = obs.roles.get(build) ?? { role: 'retiring', idleSeconds: obs.capacity.idleTimeoutSeconds };
    const mine = live.filter((s) => s.build === build && !stopping.has(s.id));
    const up = mine.filter((s) => UP.has(stateOf(s)));
    const others = rest.get(build) ?? NONE;
    const upCount = up.length + others.up;
    const mayStart = obs.now >= (obs.startNotBefore.get(build) ?? 0);

    if (role.role === 'preview') {
      if (upCount < role.target && mayStart) actions.push({ kind: 'start', build, count: role.target - upCount });
    } else if (role.role === 'retiring') {
      for (const s of mine) {
        if (stateOf(s) === 'Starting') stop(s, 'retired');
        else if (idleLongEnough(s, role.idleSeconds, obs.now)) stop(s, 'retired');
      }
    } else {
      // Demand is what servers host; an unverified server is kept, not counted as busy, so a
      // restart does not start servers that are surplus once the rosters are in.
      const busy = up.filter((s) => occupancy(s) > 0).length + others.busy;
      const desired = Math.min(role.cap ?? Infinity, desiredServers(obs, busy, role.share));
      if (upCount < desired && mayStart) actions.push({ kind: 'start', build, count: desired - upCount });
      if (upCount > desired) {
        // The oldest idle servers go first, wherever they are: an unlisted one may be among them.
        if (others.idle > 0) return null;
        const surplus = up
          .filter((s) => stateOf(s) === 'Ready' && idleLongEnough(s, obs.capacity.idleTimeoutSeconds, obs.now))
          .sort((a, b) => (a.emptySince ?? 0) - (b.emptySince ?? 0) || a.id.localeCompare(b.id))
          .slice(0, upCount - desired);
        for (const s of surplus) stop(s, 'scale-down');
      }
    }
  }
  return actions;
}

/** Crash-loop backoff: how long to wait before the next start after `failures` failed starts in a row. */
export function startBackoffMs(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** (failures - 1));
}

/**
 * Busy servers plus the warm buffer, within this build's share of the fleet's min and max. A
 * build with share 0 takes only the players a cohort rule sends it: busy servers plus the
 * buffer, and at least one, so those players have somewhere to go.
 */
export function desiredServers(obs: Pick<FleetObservation, 'capacity'>, busy: number, share: number): number {
  const { minServers, maxServers, bufferServers } = obs.capacity;
  if (share === 0) return Math.min(maxServers, Math.max(1, busy + bufferServers));
  const min = Math.ceil(minServers * share);
  const max = Math.max(min, Math.ceil(maxServers * share));
  return Math.min(max, Math.max(min, busy + bufferServers));
}

export function idleLongEnough(s: ServerObservation, idleSeconds: number, now: number): boolean {
  if (occupied(s) || s.emptySince === null) return false;
  return now - s.emptySince >= idleSeconds * 1000;
}

/**
 * Health and start deadlines. Returns the state the rest of the plan should assume.
 *
 * A deadline is missed only over observed time: the clock starts at the later of the server's
 * last sign of life and `observingSince`, so after a stall or restart every server gets a full
 * window (pings queued in sockets during a pause arrive a moment after it). Recovery, though,
 * needs a real ping: a stall never makes an Unhealthy server healthy.
 */
function healthStep(
  s: ServerObservation,
  obs: FleetObservation,
  actions: FleetAction[],
  stop: (s: ServerObservation, reason: StopReason) => void,
): ServerState {
  const timeoutMs = obs.health.timeoutSeconds * 1000;
  if (s.state === 'Starting') {
    if (obs.now - Math.max(s.createdAt, obs.observingSince) > obs.health.startTimeoutSeconds * 1000) stop(s, 'start-timeout');
    return s.state;
  }
  const last = s.lastHealthAt ?? s.createdAt;
  const missed = obs.now - Math.max(last, obs.observingSince) > timeoutMs;
  const heard = obs.now - last <= timeoutMs;
  if ((s.state === 'Ready' || s.state === 'Active') && missed) {
    actions.push({ kind: 'health', serverId: s.id, healthy: false });
    stop(s, 'unhealthy');
    return 'Unhealthy';
  }
  if (s.state === 'Unhealthy') {
    if (heard) {
      actions.push({ kind: 'health', serverId: s.id, healthy: true });
      return s.used > 0 ? 'Active' : 'Ready';
    }
    if (missed) stop(s, 'unhealthy');
  }
  return s.state;
}
