import type { RoutingTable } from '../allocation/routing.js';
import type { PlacementPolicy } from '../hosts/place.js';

/**
 * Game-server lifecycle. `Ready` hosts no session and accepts; `Active` hosts at least one.
 * `Draining` takes no new sessions and is stopped once empty (or is being stopped).
 * `Unhealthy` missed its health deadline and takes no new sessions until health resumes.
 * `Crashed` and `Stopped` are terminal.
 */
export const ServerStates = ['Starting', 'Ready', 'Active', 'Draining', 'Unhealthy', 'Crashed', 'Stopped'] as const;
export type ServerState = (typeof ServerStates)[number];

export const TerminalServerStates: readonly ServerState[] = ['Crashed', 'Stopped'];

export interface CapacityPolicy {
  minServers: number;
  maxServers: number;
  /** Empty Ready servers kept warm beyond those hosting sessions. */
  bufferServers: number;
  /** How long an empty surplus server idles before it is stopped (Arena's 10 minutes by default). */
  idleTimeoutSeconds: number;
}

export interface HealthPolicy {
  /** A server that sends no health for this long becomes Unhealthy. */
  timeoutSeconds: number;
  /** A server that is not Ready this long after spawn is stopped and counted as a failed start. */
  startTimeoutSeconds: number;
  /** SIGTERM → this grace → SIGKILL. */
  stopGraceSeconds: number;
}

/**
 * Where a new member of a party plays when routing and the party disagree (after a release
 * switched new sessions to another build). `together`: on the server hosting the party while
 * it runs, has room and accepts the client, whatever the routing says; the old build then
 * empties a little later. `follow-routing`: on a routed build, even if that splits the party.
 */
export const PartyPolicies = ['together', 'follow-routing'] as const;
export type PartyPolicy = (typeof PartyPolicies)[number];

/**
 * Whether the SDK's `sessionStarted` must carry the player's join token. `required` (the
 * default) has the control plane verify every player a game server admits; `optional` is an
 * explicit opt-out for a game server that verifies players itself (a token it does pass is
 * still verified).
 */
export const JoinTokenPolicies = ['required', 'optional'] as const;
export type JoinTokenPolicy = (typeof JoinTokenPolicies)[number];

export interface Fleet {
  name: string;
  /** The build the fleet runs when no rollout is in flight. */
  currentBuild: string;
  capacity: CapacityPolicy;
  health: HealthPolicy;
  routing: RoutingTable;
  /** Optional region label; allocations naming another region are not placed here. */
  region: string | null;
  partyPolicy: PartyPolicy;
  labels: Record<string, string>;
  joinTokens: JoinTokenPolicy;
  /** Where new game servers go among the hosts; absent on fleets stored before it existed (see `fleetPlacement`). */
  placement?: FleetPlacement;
  createdAt: number;
  updatedAt: number;
}

/**
 * A fleet's placement over hosts (docs/hosts.md): `policy` within a zone (`spread` evens the
 * fleet over hosts, `pack` fills hosts first), and optionally the only `zones` it may use
 * (null: every zone). Across zones the planner always spreads.
 */
export interface FleetPlacement {
  policy: PlacementPolicy;
  zones: string[] | null;
}

export const DefaultPlacement: FleetPlacement = { policy: 'spread', zones: null };

/** The fleet's placement; a fleet stored before the field existed spreads over every zone. */
export function fleetPlacement(fleet: Pick<Fleet, 'placement'>): FleetPlacement {
  return fleet.placement ?? DefaultPlacement;
}

/** A fleet as declared by an operator (`kind: Fleet`): what `apply` creates or updates. */
export interface FleetSpec {
  name: string;
  build: string;
  capacity: CapacityPolicy;
  health: HealthPolicy;
  region: string | null;
  partyPolicy: PartyPolicy;
  labels: Record<string, string>;
  joinTokens: JoinTokenPolicy;
  placement: FleetPlacement;
}

/**
 * The fleet's join-token policy. Only an explicit opt-out relaxes it: a fleet stored by a
 * version without the field requires tokens too.
 */
export function joinTokenPolicy(fleet: Pick<Fleet, 'joinTokens'>): JoinTokenPolicy {
  return fleet.joinTokens === 'optional' ? 'optional' : 'required';
}

export interface GameServer {
  id: string;
  fleet: string;
  build: string;
  state: ServerState;
  /** Host players connect to. */
  address: string;
  ports: Record<string, number>;
  /** Session slots; starts at the build's sessionsPerServer, the SDK may lower or raise it. */
  capacity: number;
  /** Per-server secret the game server presents to its SDK endpoint. */
  token: string;
  pid: number | null;
  /** Runtime-specific proof that `pid` is still our process (guards against PID reuse). */
  identity: string | null;
  logPath: string | null;
  createdAt: number;
  readyAt: number | null;
  lastHealthAt: number | null;
  /** When the server last became empty; null while it hosts sessions or before Ready. */
  emptySince: number | null;
  /** Why the server is draining, e.g. `release`, `scale-down`, `shutdown-requested`. */
  drainReason: string | null;
  /** Deadline announced to the server for its remaining sessions, if any. */
  drainDeadline: number | null;
  /** With `drainDeadline`: the build a release migrates the remaining sessions to (a `migrate` notice). */
  migrateTo?: string | null;
  /** When the runtime was asked to stop the process. */
  stopRequestedAt: number | null;
  stoppedAt: number | null;
  exitCode: number | null;
  exitSignal: string | null;
}

export function isTerminal(state: ServerState): boolean {
  return TerminalServerStates.includes(state);
}
