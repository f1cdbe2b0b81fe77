import type { HostView } from '../views.js';

export type DrainWaitVerdict = 'empty' | 'called-off' | 'timed-out' | 'wait';

/**
 * `host drain --wait`: done once the host reports empty; given up when its drain was called off
 * (uncordoned or cordoned meanwhile) or `timeoutMs` passed since `since`. `host` null: the last
 * poll failed (the control plane restarting), so only the timeout can end the wait. Pure.
 */
export function decideDrainWait(host: Pick<HostView, 'schedule' | 'empty'> | null, since: number, now: number, timeoutMs: number): DrainWaitVerdict {
  if (host?.schedule === 'Draining' && host.empty) return 'empty';
  if (host && host.schedule !== 'Draining') return 'called-off';
  return now - since >= timeoutMs ? 'timed-out' : 'wait';
}
