/**
 * Session-aware rolling release as a pure planner: (rollout, observed servers, now) → a plan.
 *
 * For a fleet with no spare capacity. Batch by batch: take old servers out of rotation (marked
 * Draining: no new sessions, their players stay), and once one has emptied and the fleet
 * planner has stopped it, a server of the new build takes its place and joins the rotation.
 * `maxUnavailable` bounds the servers out of rotation, `maxSurge` the servers above the fleet's
 * size (0: never more than before). New sessions are spread over both builds in proportion to
 * the servers each has in rotation. Nothing here stops a server: it only marks old ones
 * Draining and sets the role targets the fleet planner keeps (see `index.ts`).
 *
 * Progressing ⇄ [Verifying: a smoke check on one new server per batch] → Completed;
 * Progressing ⇄ [Verifying: an analysis once a batch is in rotation, before the next] (inconclusive → Paused);
 * Progressing → Paused (a batch not Ready in time, or start failures) → `promote` → Progressing.
 */
import type { RoutingTable } from '../../../allocation/routing.js';
import type { Rollout } from '../../model.js';
import type { AnalysisSpec } from '../../../analysis/spec.js';
import { emptyPlan, restoredRouting, type AnalysisCheck, type MetricsCheck, type RolloutObservation, type RolloutPlan, type RolloutServer } from '../../strategy.js';
import { gateRunning, INCONCLUSIVE_NEXT, metricsCheck } from '../analysis-gate.js';
import { emptiestFirst, observeReplacement, roomUnder, type Replacement } from '../replace.js';
import { asState, progressOf, type RollingProgress } from './progress.js';
import type { RollingSpec } from './spec.js';

type Observation = RolloutObservation<RollingSpec>;
type RollingRollout = Rollout & { spec: RollingSpec };

/** The `drainReason` of an old server this release took out of rotation. */
export const ROLLING_DRAIN_REASON = 'release';

/** The fleet as one pass sees it (see `replace.ts`, shared with the in-place canary). */
type Seen = Replacement;

export function planRolling(o: Observation): RolloutPlan {
  const phase = o.rollout.phase;
  return phase === 'Progressing' || phase === 'Verifying' || phase === 'Paused' ? step(o) : emptyPlan();
}

/** Servers of the new build that should be Ready once the current batch is done. */
function goal(p: RollingProgress, size: number): number {
  return Math.min(size, p.batch * p.batchSize);
}

function step(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  const size = r.targetServers;
  const seen = observeReplacement(o.servers, r.fromBuild, r.toBuild);
  const before = progressOf(r);
  const p: RollingProgress = { ...before, drainedAt: { ...before.drainedAt } };
  const plan = emptyPlan();
  const patch: Partial<Rollout> = {};
  let phase = r.phase;
  let message: string | null = null;

  if (phase === 'Verifying' && r.smoke && r.smoke.state !== 'running' && p.analysingBatch != null) {
    // The batch's verdict (see ../analysis-gate.ts); an inconclusive one lets a person decide.
    const label = `batch ${p.batch}/${p.batches}`;
    if (r.smoke.state === 'failed') return fail(r, now, `${label}: analysis failed: ${r.smoke.detail}`);
    p.analysingBatch = null;
    p.analysedBatch = p.batch;
    phase = r.smoke.state === 'inconclusive' ? 'Paused' : 'Progressing';
    if (phase === 'Paused') message = `${label}: analysis inconclusive: ${r.smoke.detail} ${INCONCLUSIVE_NEXT}`;
  } else if (phase === 'Verifying' && r.smoke && r.smoke.state !== 'running') {
    if (r.smoke.state === 'failed') return fail(r, now, `smoke check failed on ${r.smoke.serverId} (batch ${p.batch}/${p.batches}): ${r.smoke.detail}`);
    phase = 'Progressing';
    p.verifiedBatch = p.batch;
    p.admitted = goal(p, size);
  }

  if (phase === 'Progressing') {
    const reason = checkPause(r, p, seen, now);
    if (reason !== null) {
      phase = 'Paused';
      message = `paused: ${reason}; fix the cause and promote to resume, or abort`;
    }
  }

  // A batch's new servers Ready: with a smoke check, one of them is checked before they count as
  // in rotation (and so before old servers leave rotation on their account).
  const newDone = seen.newReady.length >= goal(p, size);
  if (newDone && r.readyAt === null) patch.readyAt = now;
  if (phase === 'Progressing' && newDone && r.spec.smoke && p.verifiedBatch < p.batch) {
    const target = smokeTarget(seen.newReady, p.smoked);
    if (target === null) {
      // A batch with no new server (a fleet of size 0): nothing to check.
      p.verifiedBatch = p.batch;
      p.admitted = goal(p, size);
    } else {
      phase = 'Verifying';
      p.smoked = [...p.smoked, target];
      patch.smoke = { state: 'running', serverId: target, startedAt: now, finishedAt: null, detail: '' };
      plan.smokeOn = target;
      message = `batch ${p.batch}/${p.batches}: smoke check running against ${target}`;
    }
  }
  const verified = !r.spec.smoke || p.verifiedBatch >= p.batch;
  const batchDone = newDone && verified && seen.oldUp.length <= size - goal(p, size);
  const lastDone = batchDone && p.batch === p.batches;
  if (phase === 'Progressing' && lastDone && seen.old.length === 0) return complete(r, now, p);
  if (phase === 'Progressing' && batchDone && !lastDone && r.spec.analysis && (p.analysedBatch ?? 0) < p.batch) {
    // The batch is in rotation: judge it before the next one takes more old servers away.
    phase = 'Verifying';
    p.analysingBatch = p.batch;
    patch.smoke = gateRunning(now);
    message = `batch ${p.batch}/${p.batches}: analysing ${r.toBuild} against ${r.fromBuild} for ${r.spec.analysis.windowSeconds}s`;
  } else if (phase === 'Progressing' && batchDone && !lastDone) {
    p.batch += 1;
    p.waitingSince = null;
  }

  const inRotNew = r.spec.smoke ? Math.min(seen.newReady.length, p.admitted) : seen.newReady.length;
  const drains = phase === 'Progressing' ? chooseDrains(seen, p, size, inRotNew) : [];
  if (drains.length > 0) plan.drainServers = drains.map((s) => ({ serverId: s.id, reason: ROLLING_DRAIN_REASON }));
  for (const s of drains) p.drainedAt[s.id] = now;

  // Role targets, read by the fleet planner in this same pass: the old build keeps what it has
  // in rotation (never a new old server), the new build grows only into room the fleet has.
  p.oldTarget = seen.oldUp.length - drains.length;
  const room = roomUnder(size + p.surge, seen);
  p.newTarget = Math.max(0, Math.min(goal(p, size), room));
  // Paused: start nothing more (a crash-looping build would only crash again).
  if (phase === 'Paused') p.newTarget = Math.min(p.newTarget, seen.newReady.length);

  const inRotOld = seen.oldReady.length - drains.length;
  const weight = rollingWeight(inRotOld, inRotNew);
  if (weight !== null && weight !== p.weight) {
    plan.routing = rollingRouting(r, 100 - weight, weight);
    p.weight = weight;
    if (weight > 0 && r.switchedAt === null) patch.switchedAt = now;
  }

  // Asked for once this pass's weight is known: the gate's payload reports it.
  if (phase === 'Verifying' && r.phase !== 'Verifying' && p.analysingBatch === p.batch && r.spec.analysis) plan.check = rollingMetricsCheck(r, r.spec.analysis, p, now);
  drainDeadlines(o, p, plan);

  const outOfRotation = seen.old.filter((s) => s.state === 'Draining' || drains.includes(s));
  p.replaced = Math.max(0, Math.min(size, size - seen.old.length));
  p.inRotation = inRotNew;
  p.oldInRotation = inRotOld;
  p.outOfRotation = outOfRotation.length;
  // A pause keeps its reason and a running smoke check its own message.
  if (message === null && phase === 'Progressing') message = progressMessage(r, p, outOfRotation, seen);

  if (phase !== r.phase) patch.phase = phase;
  if (message !== null && message !== r.message) patch.message = message;
  if (JSON.stringify(p) !== JSON.stringify(before)) patch.progressState = asState(p);
  plan.patch = patch;
  return plan;
}

/** Why the release must wait for a person, if it must; keeps the batch's ready timer in `p`. */
function checkPause(r: RollingRollout, p: RollingProgress, seen: Seen, now: number): string | null {
  const failures = r.startFailures - p.failureBase;
  if (failures >= r.spec.maxStartFailures) {
    return `build ${r.toBuild} failed to start ${failures} times; last failure: ${r.lastFailure ?? 'unknown'}`;
  }
  // The timer runs only while servers the fleet planner was asked for are not Ready: waiting for
  // players to leave an old server is the strategy working, never a reason to pause.
  if (seen.newReady.length >= p.newTarget) {
    p.waitingSince = null;
    return null;
  }
  p.waitingSince ??= now;
  const limit = r.spec.batchReadyTimeoutSeconds;
  if (now - p.waitingSince <= limit * 1000) return null;
  return `batch ${p.batch}/${p.batches}: ${seen.newReady.length}/${p.newTarget} servers of ${r.toBuild} Ready after ${limit}s`;
}

/**
 * Old servers to take out of rotation now: enough to reach this batch's goal, no more than
 * availability allows (servers in rotation stay at least `size - maxUnavailable`), emptiest first
 * so they leave the fleet soonest.
 */
function chooseDrains(seen: Seen, p: RollingProgress, size: number, inRotNew: number): RolloutServer[] {
  const byBatch = seen.oldUp.length - (size - goal(p, size));
  const byAvailability = seen.oldReady.length + inRotNew - (size - p.unavailable);
  const n = Math.max(0, Math.min(byBatch, byAvailability));
  return emptiestFirst(seen.oldReady, n);
}

/** A Ready new server not checked yet (an empty one first); any Ready one if all were. */
function smokeTarget(ready: readonly RolloutServer[], smoked: readonly string[]): string | null {
  const order = [...ready].sort((a, b) => a.used - b.used || a.id.localeCompare(b.id));
  return (order.find((s) => !smoked.includes(s.id)) ?? order[0])?.id ?? null;
}

/** The new build's share of new sessions (0–100), proportional to servers in rotation; null when none is. */
export function rollingWeight(oldInRotation: number, newInRotation: number): number | null {
  const total = oldInRotation + newInRotation;
  if (total === 0) return null;
  if (newInRotation === 0) return 0;
  if (oldInRotation === 0) return 100;
  // Neither side rounds away to nothing while it has a server in rotation.
  return Math.min(99, Math.max(1, Math.round((100 * newInRotation) / total)));
}

/**
 * The old build first and the new one last, so the new build's share of the sticky hash grows
 * from its fixed end (players keep their build as it grows); builds of earlier releases take
 * nothing new.
 */
export function rollingRouting(r: Pick<Rollout, 'fromBuild' | 'toBuild' | 'previousRouting'>, oldWeight: number, newWeight: number): RoutingTable {
  const others = (r.previousRouting?.entries ?? [])
    .filter((e) => e.build !== r.fromBuild && e.build !== r.toBuild)
    .map((e) => ({ build: e.build, weight: 0 }));
  return { entries: [{ build: r.fromBuild, weight: oldWeight }, ...others, { build: r.toBuild, weight: newWeight }] };
}

/**
 * The optional drain deadline, per old server from when it left rotation: a notice at the lead
 * time, then (in a later pass, so the notice always goes first) what is left closes as `migrated`.
 */
function drainDeadlines(o: Observation, p: RollingProgress, plan: RolloutPlan): void {
  const present = new Set(o.servers.map((s) => s.id));
  for (const id of Object.keys(p.drainedAt)) if (!present.has(id)) delete p.drainedAt[id];
  const noticedBefore = p.noticed.filter((id) => present.has(id));
  p.noticed = [...noticedBefore];
  p.migrated = p.migrated.filter((id) => present.has(id));
  const drain = o.rollout.spec.drain;
  if (!drain) return;
  for (const s of o.servers) {
    const since = p.drainedAt[s.id];
    if (since === undefined || s.state !== 'Draining') continue;
    const deadline = since + drain.deadlineSeconds * 1000;
    if (!p.noticed.includes(s.id) && o.now >= deadline - drain.noticeLeadSeconds * 1000) {
      plan.notices.push({ serverId: s.id, notice: { type: 'drain', reason: ROLLING_DRAIN_REASON, deadline, at: o.now } });
      p.noticed.push(s.id);
    }
    if (noticedBefore.includes(s.id) && !p.migrated.includes(s.id) && o.now >= deadline && s.used > 0) {
      plan.migrate.push(s.id);
      p.migrated.push(s.id);
    }
  }
}

function progressMessage(r: RollingRollout, p: RollingProgress, out: readonly RolloutServer[], seen: Seen): string {
  const parts = [`batch ${p.batch}/${p.batches}: ${p.inRotation} ${r.toBuild} and ${p.oldInRotation} ${r.fromBuild} in rotation`];
  if (out.length > 0) parts.push(`${out.length} ${r.fromBuild} emptying (${out.reduce((n, s) => n + s.used, 0)} sessions)`);
  const starting = p.newTarget - seen.newReady.length;
  if (starting > 0) parts.push(`${starting} ${r.toBuild} starting`);
  return parts.join(', ');
}

function complete(r: RollingRollout, now: number, p: RollingProgress): RolloutPlan {
  const done: RollingProgress = { ...p, replaced: r.targetServers, oldInRotation: 0, outOfRotation: 0, drainedAt: {}, noticed: [], migrated: [], weight: 100 };
  return {
    ...emptyPlan(),
    routing: { entries: [{ build: r.toBuild, weight: 100 }] },
    completeFleetWith: r.toBuild,
    patch: {
      phase: 'Completed', completedAt: now, progressState: asState(done),
      message: `${r.toBuild} is the fleet's build: ${r.targetServers} servers replaced in ${p.batches} batch${p.batches === 1 ? '' : 'es'}`,
      ...(r.switchedAt === null ? { switchedAt: now } : {}),
    },
  };
}

/** The analysis of batch `p.batch`, over the window starting at `since`. */
export function rollingMetricsCheck(r: RollingRollout, analysis: AnalysisSpec, p: Pick<RollingProgress, 'batch' | 'batches' | 'weight'>, since: number): MetricsCheck {
  const payload = { rollout: r.id, fleet: r.fleet, strategy: 'rolling', fromBuild: r.fromBuild, toBuild: r.toBuild, batch: p.batch, batches: p.batches, weight: p.weight };
  return metricsCheck(r, analysis, `batch ${p.batch}/${p.batches}`, since, payload);
}

/** The check a Verifying rolling release waits on (run again after a control-plane restart). */
export function runningRollingCheck(r: RollingRollout): AnalysisCheck | null {
  if (r.phase !== 'Verifying' || !r.smoke) return null;
  const p = progressOf(r);
  if (p.analysingBatch != null && r.spec.analysis) return rollingMetricsCheck(r, r.spec.analysis, p, r.smoke.startedAt);
  return r.spec.smoke ? { serverId: r.smoke.serverId, smoke: r.spec.smoke } : null;
}

function fail(r: RollingRollout, now: number, message: string): RolloutPlan {
  return { ...emptyPlan(), routing: restoredRouting(r), patch: { phase: 'Failed', failedAt: now, message } };
}
