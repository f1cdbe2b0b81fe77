import type { Host, HostState } from './model.js';

/**
 * A host's state as seen at `now`: silent for longer than `timeoutMs` → `Unreachable`,
 * whatever the operator asked; otherwise what the operator asked (`schedule`). Pure.
 */
export function hostState(host: Pick<Host, 'schedule' | 'lastHeartbeatAt'>, now: number, timeoutMs: number): HostState {
  if (now - host.lastHeartbeatAt > timeoutMs) return 'Unreachable';
  return host.schedule;
}

/** Only a `Ready` host takes new game servers. */
export function isSchedulable(state: HostState): boolean {
  return state === 'Ready';
}

/**
 * Whether the game servers of a host in `state` take new sessions. A cordoned host's do (cordon
 * only stops new game servers there); a draining host's do not, and neither do an unreachable
 * host's: players sent there might never reach it, so new ones go to other hosts and zones.
 */
export function takesSessions(state: HostState): boolean {
  return state === 'Ready' || state === 'Cordoned';
}
