/**
 * A scheduled maintenance window, in place, as a pure planner: (rollout, observed servers, now)
 * → a plan.
 *
 *   Scheduled ──(noticeAt: maintenance notice to every server)──(startsAt)──▶ Progressing
 *   Progressing: allocations refused (FLEET_IN_MAINTENANCE until the expected end), old servers
 *     told to drain and retired once empty, servers of the new build started in the room they
 *     leave (the fleet's maxServers), sessions still open at the deadline closed (`maintenance`)
 *   ──(new build Ready)──▶ Draining (old servers still hosting sessions) ──▶ Completed
 *
 * The downtime is planned: players were told (maintenance notice at the lead time, drain notice
 * with the deadline at the start), and sessions are only ever closed on servers told to drain,
 * at or after the announced deadline. The fleet planner starts and stops servers from the roles
 * in `index.ts`; this planner never stops a server.
 */
import type { RoutingTable } from '../../../allocation/routing.js';
import type { ServerState } from '../../../fleet/model.js';
import type { Notice } from '../../../sdk/protocol.js';
import type { Rollout } from '../../model.js';
import { emptyPlan, restoredRouting, type RolloutObservation, type RolloutPlan, type RolloutServer } from '../../strategy.js';
import type { MaintenanceSpec } from './spec.js';
import { newBuildTarget, noticeMessage, progressOf, type MaintenanceProgress } from './window.js';

type Observation = RolloutObservation<MaintenanceSpec>;
type MaintenanceRollout = Rollout & { spec: MaintenanceSpec };

const READY = new Set<ServerState>(['Ready', 'Active']);
/** A Starting server has no watch stream yet: it is told once it is up. */
const listening = (s: RolloutServer): boolean => s.state !== 'Starting';

export function planMaintenance(o: Observation): RolloutPlan {
  switch (o.rollout.phase) {
    case 'Scheduled':
      return scheduled(o);
    case 'Progressing':
      return inWindow(o);
    case 'Draining':
      return draining(o);
    default:
      return emptyPlan();
  }
}

/** Before the window: from the lead time on, every server that can hear it gets the notice once. */
function scheduled(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  const p = progressOf(r);
  if (now >= p.startsAt) return openWindow(o, p);
  if (now < p.noticeAt) return emptyPlan();
  const plan = emptyPlan();
  const next = tellNew(o, p, plan);
  if (plan.notices.length === 0) return plan;
  plan.patch = { progressState: { ...next }, message: `maintenance notice sent to ${next.noticed.length} servers; allocations stop at the window's start` };
  return plan;
}

/**
 * The window opens: allocations stop (the routing table is closed until the expected end),
 * servers not told yet are told now, and every old server is told to drain with the deadline.
 */
function openWindow(o: Observation, before: MaintenanceProgress): RolloutPlan {
  const { rollout: r, now } = o;
  const plan = emptyPlan();
  const p = tellNew(o, before, plan);
  const old = o.servers.filter((s) => s.build !== r.toBuild);
  const deadline = r.spec.sessionDeadlineSeconds === null ? null : now + r.spec.sessionDeadlineSeconds * 1000;
  const drain: Notice = { type: 'drain', reason: 'maintenance', deadline, at: now };
  for (const s of old) plan.notices.push({ serverId: s.id, notice: drain });
  plan.routing = closedRouting(r, p.endsAt);
  const progress: MaintenanceProgress = {
    ...p,
    startedAt: now,
    sessionDeadlineAt: deadline,
    oldBuilds: [...new Set([r.fromBuild, ...old.map((s) => s.build)])].sort(),
    drained: old.map((s) => s.id),
    room: roomFor(o, p),
  };
  plan.patch = {
    phase: 'Progressing', switchedAt: now, drainNoticeAt: now, progressState: { ...progress },
    message: `maintenance: allocations stopped; ${r.toBuild} starts as ${r.fromBuild} servers empty`,
  };
  return plan;
}

/** During the window: close what is due, give the new build the room the old one leaves, reopen once it is Ready. */
function inWindow(o: Observation): RolloutPlan {
  const { rollout: r } = o;
  if (r.startFailures >= r.spec.maxStartFailures) return fail(o, `build ${r.toBuild} failed to start ${r.startFailures} times; last failure: ${r.lastFailure ?? 'unknown'}`);
  const before = progressOf(r);
  const plan = emptyPlan();
  const p = { ...closeDue(o, before, plan), room: roomFor(o, before) };
  const old = o.servers.filter((s) => s.build !== r.toBuild);
  const ready = o.servers.filter((s) => s.build === r.toBuild && READY.has(s.state)).length;
  // Reopen with as many servers as the old build leaves room for (at least one), not a full
  // fleet: players waiting on a closed game matter more than a warm buffer.
  const want = Math.max(1, newBuildTarget(r, p));
  if (ready >= want) return reopen(o, p, old, plan);
  const sessions = old.reduce((n, s) => n + s.used, 0);
  const message = `maintenance: allocations stopped; ${r.fromBuild}: ${old.length} servers, ${sessions} sessions left; ${r.toBuild}: ${ready}/${want} Ready`;
  return withProgress(r, before, p, message, plan);
}

function reopen(o: Observation, p: MaintenanceProgress, old: readonly RolloutServer[], plan: RolloutPlan): RolloutPlan {
  const { rollout: r, now } = o;
  const startedAt = p.startedAt ?? now;
  const progress: MaintenanceProgress = { ...p, reopenedAt: now, downtimeMs: now - startedAt, overrunMs: Math.max(0, now - p.endsAt) };
  if (old.length === 0) return complete(o, progress, plan);
  return {
    ...plan,
    routing: { entries: [{ build: r.toBuild, weight: 100 }, ...otherEntries(r)] },
    patch: {
      ...plan.patch, phase: 'Draining', readyAt: now, progressState: { ...progress },
      message: `maintenance over: new sessions go to ${r.toBuild}; ${old.length} old servers finish their sessions`,
    },
  };
}

/** Reopened: old servers still hosting sessions finish them (or meet the deadline), then the release completes. */
function draining(o: Observation): RolloutPlan {
  const { rollout: r } = o;
  const before = progressOf(r);
  const plan = emptyPlan();
  const p = closeDue(o, before, plan);
  const old = o.servers.filter((s) => s.build !== r.toBuild);
  if (old.length === 0) return complete(o, p, plan);
  const sessions = old.reduce((n, s) => n + s.used, 0);
  return withProgress(r, before, p, `old builds: ${old.length} servers, ${sessions} sessions left`, plan);
}

function complete(o: Observation, p: MaintenanceProgress, plan: RolloutPlan): RolloutPlan {
  const { rollout: r, now } = o;
  return {
    ...plan,
    routing: { entries: [{ build: r.toBuild, weight: 100 }] },
    completeFleetWith: r.toBuild,
    patch: {
      ...plan.patch, phase: 'Completed', completedAt: now, readyAt: r.readyAt ?? now, progressState: { ...p },
      message: `${r.toBuild} is the fleet's build; planned downtime ${Math.round((p.downtimeMs ?? 0) / 1000)}s`,
    },
  };
}

/** The new build failed during the window: allocations resume on the old build (restarted where it stopped). */
function fail(o: Observation, message: string): RolloutPlan {
  const { rollout: r, now } = o;
  const p = progressOf(r);
  const routing = restoredRouting(r);
  const back = new Set(routing.entries.filter((e) => e.weight > 0).map((e) => e.build));
  const cancelled: Notice = { type: 'drain-cancelled', at: now };
  return {
    ...emptyPlan(),
    routing,
    notices: o.servers.filter((s) => back.has(s.build)).map((s) => ({ serverId: s.id, notice: cancelled })),
    patch: {
      phase: 'Failed', failedAt: now, message,
      progressState: { ...p, downtimeMs: p.startedAt === null ? null : now - p.startedAt },
    },
  };
}

/** Sends the maintenance notice to servers that can hear it and were not told yet; returns the progress that records it. */
function tellNew(o: Observation, p: MaintenanceProgress, plan: RolloutPlan): MaintenanceProgress {
  const { rollout: r, now } = o;
  const told = new Set(p.noticed);
  const fresh = o.servers.filter((s) => listening(s) && !told.has(s.id));
  if (fresh.length === 0) return p;
  const notice: Notice = { type: 'maintenance', message: noticeMessage(r.spec), startsAt: p.startsAt, at: now };
  for (const s of fresh) plan.notices.push({ serverId: s.id, notice });
  return { ...p, noticeSentAt: p.noticeSentAt ?? now, noticed: [...p.noticed, ...fresh.map((s) => s.id)] };
}

/**
 * The maintenance notice as a standing notice: a server recorded as told gets it again whenever
 * its watch (re)connects, until the release ends. The planner tells each server once, the moment
 * it is no longer Starting; a server calls `ready` before its watch is connected, so that one
 * send can reach no one — and its sessions would later be closed for a maintenance it never heard of.
 */
export function standingMaintenance(r: MaintenanceRollout, serverId: string, now: number): Notice[] {
  if (r.phase !== 'Scheduled' && r.phase !== 'Progressing' && r.phase !== 'Draining') return [];
  const p = progressOf(r);
  if (p.noticeSentAt === null || !p.noticed.includes(serverId)) return [];
  return [{ type: 'maintenance', message: noticeMessage(r.spec), startsAt: p.startsAt, at: now }];
}

/** From the deadline on, sessions still open on servers told to drain are closed as `maintenance`. */
function closeDue(o: Observation, p: MaintenanceProgress, plan: RolloutPlan): MaintenanceProgress {
  if (p.sessionDeadlineAt === null || o.now < p.sessionDeadlineAt) return p;
  const drained = new Set(p.drained);
  const busy = o.servers.filter((s) => drained.has(s.id) && s.used > 0);
  if (busy.length === 0) return p;
  plan.closeSessions = { serverIds: busy.map((s) => s.id), reason: 'maintenance' };
  return { ...p, sessionsClosedAt: p.sessionsClosedAt ?? o.now, sessionsClosed: p.sessionsClosed + busy.reduce((n, s) => n + s.used, 0) };
}

/** In place: the new build may use what the other servers leave of the fleet's maximum. */
function roomFor(o: Observation, p: MaintenanceProgress): number {
  return Math.max(0, p.maxServers - o.servers.filter((s) => s.build !== o.rollout.toBuild).length);
}

/**
 * Closed until the expected end; once it reopens, new sessions go to the new build (first, so
 * the table reads the same before and after). Builds routed before keep an entry at weight 0.
 */
export function closedRouting(r: MaintenanceRollout, until: number): RoutingTable {
  return { entries: [{ build: r.toBuild, weight: 100 }, ...otherEntries(r)], closed: { until, reason: `maintenance: ${r.fromBuild} → ${r.toBuild}` } };
}

function otherEntries(r: MaintenanceRollout): { build: string; weight: number }[] {
  const before = r.previousRouting?.entries ?? [{ build: r.fromBuild, weight: 100 }];
  return before.filter((e) => e.build !== r.toBuild).map((e) => ({ build: e.build, weight: 0 }));
}

/** Stores progress and message only when they changed, so an idle pass writes nothing. */
function withProgress(r: MaintenanceRollout, before: MaintenanceProgress, p: MaintenanceProgress, message: string, plan: RolloutPlan): RolloutPlan {
  if (JSON.stringify(p) !== JSON.stringify(before)) plan.patch.progressState = { ...p };
  if (message !== r.message) plan.patch.message = message;
  return plan;
}
