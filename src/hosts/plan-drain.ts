/**
 * A host drain's notice and deadline: the same options as a release's drain (`DrainDeadline`:
 * a deadline counted from when the drain began, a notice that lead before it). At the notice
 * time every game server on the host is told the deadline through the SDK (a `drain` notice);
 * at the deadline the sessions still open there are closed as `migrated`, as a release closes
 * the sessions left on its old build. Without a deadline the host waits for its players. Pure:
 * `now` is a parameter.
 */
import type { DrainDeadline } from '../rollout/checks.js';

/** Why a host's game servers drain: the reason their SDK notice carries. */
export const HOST_DRAIN_REASON = 'host-draining';

/** A drain in progress on a host (persisted with the host). */
export interface HostDrain {
  /** When the drain began: the deadline counts from it. */
  since: number;
  /** Null: no deadline, the host waits for its players however long they play. */
  deadline: DrainDeadline | null;
  /** When the servers were told the deadline; null until then. */
  noticeAt: number | null;
  /** When the sessions left at the deadline were closed; null until then. */
  closedAt: number | null;
}

/** A game server on the draining host, as the planner sees it. */
export interface DrainingServer {
  id: string;
  /** Open sessions. */
  used: number;
}

export interface HostDrainPlan {
  patch: Partial<Pick<HostDrain, 'noticeAt' | 'closedAt'>>;
  /** Servers to tell the deadline (ms epoch). */
  announce: { serverId: string; deadline: number }[];
  /** Servers whose open sessions are closed now (reason `migrated`). */
  close: string[];
}

/** A drain as it begins at `now`. */
export function beginHostDrain(deadline: DrainDeadline | null, now: number): HostDrain {
  return { since: now, deadline, noticeAt: null, closedAt: null };
}

/** The deadline (ms epoch) of a drain that has one. */
export function hostDrainDeadline(d: HostDrain): number | null {
  return d.deadline ? d.since + d.deadline.deadlineSeconds * 1000 : null;
}

/** What a drain pass does at `now`: announce the deadline, close what is left at it, or nothing. */
export function planHostDrain(d: HostDrain, servers: readonly DrainingServer[], now: number): HostDrainPlan {
  const plan: HostDrainPlan = { patch: {}, announce: [], close: [] };
  const deadline = hostDrainDeadline(d);
  if (!d.deadline || deadline === null || d.closedAt !== null) return plan;
  // A lead longer than the deadline: told at once, as a release's drain does.
  const noticeAt = deadline - d.deadline.noticeLeadSeconds * 1000;
  if (d.noticeAt === null && now >= noticeAt) {
    plan.patch.noticeAt = now;
    plan.announce = servers.map((s) => ({ serverId: s.id, deadline }));
  }
  // Only servers told in an earlier pass are closed: a control plane that slept through both
  // times sends the notice now and closes at the next pass, never in the same breath.
  if (d.noticeAt !== null && now >= deadline) {
    plan.patch.closedAt = now;
    plan.close = servers.filter((s) => s.used > 0).map((s) => s.id);
  }
  return plan;
}
