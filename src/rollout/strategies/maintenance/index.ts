/**
 * In-place maintenance window (the seeds' "maintenance window update"): tell every server ahead
 * of time, close the fleet at the start, let or make the old build's sessions end, restart the
 * fleet on the new build in the room the old servers leave, reopen once it is Ready. Planned
 * downtime, never an interruption: every session closed was announced twice (the maintenance
 * notice at the lead time, the drain notice with its deadline at the start).
 */
import { HandoffError } from '../../../core/errors.js';
import type { BuildRole } from '../../../fleet/plan-fleet.js';
import type { Notice } from '../../../sdk/protocol.js';
import type { Rollout } from '../../model.js';
import type { Strategy } from '../../strategy.js';
import { planMaintenance, standingMaintenance } from './plan.js';
import { maintenanceOptions, type MaintenanceSpec } from './spec.js';
import { initialProgress, newBuildTarget, progressOf, validateWindow } from './window.js';

export const maintenance: Strategy<MaintenanceSpec> = {
  name: 'maintenance',
  summary: 'at a scheduled window: notify players ahead, stop allocations, restart the fleet on the new build in place, reopen',
  options: maintenanceOptions,
  validate: validateWindow,
  init(spec, start) {
    return {
      phase: 'Scheduled',
      message: `maintenance scheduled: players are told ${spec.noticeLeadSeconds}s ahead; allocations stop for about ${spec.durationSeconds}s`,
      // In place: as many new servers as the old build runs, within the fleet's bounds.
      targetServers: Math.min(start.capacity.maxServers, Math.max(1, start.capacity.minServers, start.runningOld)),
      progressState: { ...initialProgress(spec, start) },
    };
  },
  plan: planMaintenance,
  roles(r: Rollout & { spec: MaintenanceSpec }): Map<string, BuildRole> {
    const roles = new Map<string, BuildRole>();
    const p = progressOf(r);
    if (p.startedAt === null) return roles;
    if (r.phase === 'Aborted' || r.phase === 'Failed') {
      // Back to the old build (the routing says so); the new build's servers go once empty.
      roles.set(r.toBuild, { role: 'retiring', idleSeconds: 0 });
      return roles;
    }
    // The old builds leave as soon as each server is empty: the window is the downtime.
    for (const b of p.oldBuilds) roles.set(b, { role: 'retiring', idleSeconds: 0 });
    if (r.phase === 'Progressing') roles.set(r.toBuild, { role: 'preview', target: newBuildTarget(r, p) });
    return roles;
  },
  abortable: ['Scheduled', 'Progressing', 'Draining'],
  /**
   * Players told of a maintenance that will not happen (or is cut short) are told it is off;
   * the generic abort re-routes new sessions to the old build and cancels the drain.
   */
  onAbort(r, servers, now) {
    const p = progressOf(r);
    const progressState = { ...p, cancelledAt: now, ...(p.startedAt !== null && p.reopenedAt === null ? { downtimeMs: now - p.startedAt } : {}) };
    if (p.noticeSentAt === null || p.reopenedAt !== null) return { notices: [], progressState };
    const off: Notice = { type: 'maintenance', message: 'The scheduled maintenance is cancelled', startsAt: null, at: now };
    const told = new Set(p.noticed);
    return { notices: servers.filter((s) => told.has(s.id)).map((s) => ({ serverId: s.id, notice: off })), progressState };
  },
  standing: (r, server, now) => standingMaintenance(r, server.id, now),
  promote(r) {
    throw new HandoffError('ROLLOUT_INVALID_PHASE', `rollout ${r.id} is a maintenance window: it starts at its scheduled time and ends when ${r.toBuild} is Ready; there is nothing to promote`, { phase: r.phase });
  },
  // Once the window opened the fleet is committed to the new build: a later release supersedes this one.
  hasRouted: (r) => progressOf(r).startedAt !== null,
};
