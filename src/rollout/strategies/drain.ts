/**
 * How a release ends once one build takes every new session: the builds leaving the fleet
 * keep their open sessions until they end (or, with a drain deadline, are told at a lead time
 * and closed as `migrated` at the deadline), their servers retire once empty (the fleet
 * planner's doing, from the `retiring` role), and the release completes when none is left.
 * Pure: `now` is a parameter.
 */
import type { DrainDeadline } from '../checks.js';
import type { Rollout } from '../model.js';
import { emptyPlan, type RolloutPlan, type RolloutServer } from '../strategy.js';

export interface DrainSpec {
  /** The build that takes every new session. */
  winner: string;
  /** Builds leaving the fleet. */
  leaving: readonly string[];
  /** When the winner started taking every new session (the deadline counts from it). */
  since: number;
  drain: DrainDeadline | null;
}

export function planDrain(r: Rollout, servers: readonly RolloutServer[], now: number, d: DrainSpec): RolloutPlan {
  const leaving = new Set(d.leaving.filter((b) => b !== d.winner));
  const old = servers.filter((s) => leaving.has(s.build));
  if (old.length === 0) {
    return {
      ...emptyPlan(),
      routing: { entries: [{ build: d.winner, weight: 100 }] },
      completeFleetWith: d.winner,
      patch: { phase: 'Completed', completedAt: now, message: `${d.winner} is the fleet's build; ${[...leaving].join(', ')} retired` },
    };
  }
  const plan = emptyPlan();
  const sessions = old.reduce((n, s) => n + s.used, 0);
  const message = `every new session goes to ${d.winner}; ${[...leaving].join(', ')}: ${old.length} servers, ${sessions} sessions left`;
  if (message !== r.message) plan.patch.message = message;
  if (!d.drain) return plan;
  const deadline = d.since + d.drain.deadlineSeconds * 1000;
  const noticeAt = deadline - d.drain.noticeLeadSeconds * 1000;
  if (r.drainNoticeAt === null && now >= noticeAt) {
    plan.patch.drainNoticeAt = now;
    for (const s of old) plan.notices.push({ serverId: s.id, notice: { type: 'drain', reason: 'release', deadline, at: now } });
  }
  // Only sessions told in an earlier pass are closed: a control plane that slept through both
  // times sends the notice now and closes at the next pass, never in the same breath.
  if (r.migratedAt === null && r.drainNoticeAt !== null && now >= deadline) {
    plan.patch.migratedAt = now;
    plan.migrate = old.filter((s) => s.used > 0).map((s) => s.id);
  }
  return plan;
}
