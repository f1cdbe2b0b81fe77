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
