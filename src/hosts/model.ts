/**
 * Hosts: the machines game servers run on. `handoff server` is one (its embedded agent);
 * every `handoff agent` is another. See docs/hosts.md.
 */

/** What an operator asked of a host. `Unreachable` is never asked: it is observed (liveness.ts). */
export const HostSchedules = ['Ready', 'Cordoned', 'Draining'] as const;
export type HostSchedule = (typeof HostSchedules)[number];

/** What `GET /v1/hosts` shows: the operator's intent, overridden by `Unreachable` when silent. */
export const HostStates = ['Ready', 'Cordoned', 'Draining', 'Unreachable'] as const;
export type HostState = (typeof HostStates)[number];

/** What one host offers. `cpuMillis`/`memoryMb` null: not limited (slots still are). */
export interface HostCapacity {
  /** Game servers the host may run at once. */
  slots: number;
  cpuMillis: number | null;
  memoryMb: number | null;
}

/** What an agent tells the control plane about its host when it connects. */
export interface HostRegistration {
  id: string;
  zone: string;
  region: string;
  /** Address players are sent to for servers on this host. */
  publicAddress: string;
  portRange: { from: number; to: number };
  capacity: HostCapacity;
}

/** A host as the control plane keeps it (persisted; `lastHeartbeatAt` only in memory between writes). */
export interface Host extends HostRegistration {
  schedule: HostSchedule;
  registeredAt: number;
  /** Last sign of life from its agent (connect or heartbeat). */
  lastHeartbeatAt: number;
}

/** Host ids become parts of server identities and URLs: kept to a safe alphabet. */
export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/**
 * The host named in a game server's runtime identity: a server on a remote host carries
 * `@<host>/<identity on the host>` (see MultiHostRuntime); null for the control plane's own host.
 */
export function hostInIdentity(identity: string | null): string | null {
  if (identity === null || !identity.startsWith('@')) return null;
  const slash = identity.indexOf('/');
  return slash > 1 ? identity.slice(1, slash) : null;
}
