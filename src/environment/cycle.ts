/**
 * The environment cycle as pure functions: (environment, what the fleets run, now) → the next
 * environment and the snapshots to keep. No I/O, no clock.
 *
 * After a release completes — every fleet of the environment runs one build, other than the
 * live slot's, and no release is in flight — the cycle runs in one step:
 *   relabel  the idle slot (bound to the released build) becomes live;
 *   snapshot the configuration is saved as the next numbered snapshot;
 *   clone    the new idle slot is reset from the live one (same build, nothing staged);
 *   stage    a build queued by `stage` during the release is staged into the idle slot.
 */
import { HandoffError } from '../core/errors.js';
import { record } from './history.js';
import {
  idleSlot,
  liveSlot,
  otherSlot,
  type Environment,
  type EnvSnapshot,
  type FleetObservation,
  type SlotProfile,
} from './model.js';

/** The build every fleet runs, when they agree and none is releasing; null otherwise. */
export function settledBuild(fleets: readonly FleetObservation[]): string | null {
  const first = fleets[0];
  if (!first || fleets.some((f) => f.releasing)) return null;
  return fleets.every((f) => f.currentBuild === first.currentBuild) ? first.currentBuild : null;
}

/** Whether the environment is between releases: fleets settled, no restore running. */
export function isSettled(env: Environment, fleets: readonly FleetObservation[]): boolean {
  return env.restoring === null && settledBuild(fleets) !== null;
}

/** The idle slot becomes live, bound to `build` (the build the release brought). */
export function relabel(env: Environment, build: string, now: number): Environment {
  let next = env;
  if (idleSlot(env).build !== build) {
    // A release of a build nobody staged: the idle slot takes it, so the slots stay the truth.
    next = setSlot(next, otherSlot(env.live), { ...idleSlot(env), build, stagedAt: null, boundAt: now });
    next = record(next, now, { action: 'bind', slot: otherSlot(env.live), build, detail: `${build} was released without being staged` });
  }
  const live = otherSlot(env.live);
  next = { ...next, live, slots: { ...next.slots, [live]: { ...next.slots[live], stagedAt: null } } };
  return record(next, now, { action: 'relabel', slot: live, build, detail: `${live} is live on ${build}; ${env.live} is idle` });
}

/** The environment's configuration as the next numbered snapshot. */
export function takeSnapshot(env: Environment, fleets: readonly FleetObservation[], now: number, reason: string): { env: Environment; snapshot: EnvSnapshot } {
  const number = env.lastSnapshot + 1;
  const builds = new Set<string>([env.slots.blue.build, env.slots.green.build]);
  for (const f of fleets) {
    builds.add(f.currentBuild);
    for (const e of f.routing.entries) builds.add(e.build);
  }
  const snapshot: EnvSnapshot = {
    environment: env.name, number, takenAt: now, reason, live: env.live,
    slots: { blue: { ...env.slots.blue }, green: { ...env.slots.green } },
    fleets: fleets.map((f) => ({ name: f.name, currentBuild: f.currentBuild, routing: f.routing, capacity: f.capacity })),
    builds: [...builds].sort(),
  };
  const next = record({ ...env, lastSnapshot: number }, now, { action: 'snapshot', slot: env.live, build: liveSlot(env).build, snapshot: number, detail: `snapshot #${number}: ${reason}` });
  return { env: next, snapshot };
}

/** The idle slot is reset from the live one: same build, its own launch settings, nothing staged. */
export function cloneIdle(env: Environment, now: number): Environment {
  const idle = otherSlot(env.live);
  const next = setSlot(env, idle, { ...env.slots[idle], build: liveSlot(env).build, stagedAt: null, boundAt: now });
  return record(next, now, { action: 'clone', slot: idle, build: liveSlot(env).build, detail: `${idle} reset from ${env.live}` });
}

/**
 * Stages `build` into the idle slot (warm servers follow from its profile), or, while a release
 * or restore is in flight (`busy`), queues it for the end of the cycle. Staging the live build
 * is refused: it would warm servers nobody can switch to.
 */
export function stage(env: Environment, build: string, warmServers: number | undefined, busy: boolean, now: number): Environment {
  const live = liveSlot(env);
  if (build === live.build && !busy) {
    throw new HandoffError('ENV_STAGE_LIVE_BUILD', `${build} is already live in ${env.name} (slot ${env.live})`, { environment: env.name, build });
  }
  const idle = otherSlot(env.live);
  const warm = warmServers ?? env.slots[idle].warmServers;
  if (busy) {
    const next = { ...env, next: { build, warmServers: warm } };
    return record(next, now, { action: 'queued', slot: idle, build, detail: `${build} will be staged when the release in flight completes` });
  }
  const next = setSlot({ ...env, next: null }, idle, { build, warmServers: warm, stagedAt: now, boundAt: now });
  return record(next, now, { action: 'stage', slot: idle, build, detail: `${build} staged in ${idle} with ${warm} warm server(s) per fleet` });
}

export interface CycleResult {
  env: Environment;
  snapshots: EnvSnapshot[];
  /** What happened, in order, for events and tests. */
  steps: string[];
}

/**
 * What the environment does now, given its fleets (and, during a restore, the snapshot being
 * restored). Null when there is nothing to do.
 */
export function decideCycle(env: Environment, fleets: readonly FleetObservation[], now: number, restoring?: EnvSnapshot): CycleResult | null {
  const settled = settledBuild(fleets);
  if (settled === null) return null;
  if (env.restoring) return finishRestore(env, fleets, settled, now, restoring);
  if (settled === liveSlot(env).build) {
    // Between releases: a stage queued while the last one ran lands now.
    if (!env.next || env.next.build === settled) return env.next ? { env: { ...env, next: null }, snapshots: [], steps: ['drop-queued'] } : null;
    return { env: stage(env, env.next.build, env.next.warmServers, false, now), snapshots: [], steps: ['stage'] };
  }
  const steps = ['relabel', 'snapshot', 'clone'];
  let next = relabel(env, settled, now);
  const taken = takeSnapshot(next, fleets, now, `release of ${settled} completed`);
  next = cloneIdle(taken.env, now);
  if (next.next && next.next.build !== settled) {
    next = stage(next, next.next.build, next.next.warmServers, false, now);
    steps.push('stage');
  } else next = { ...next, next: null };
  return { env: next, snapshots: [taken.snapshot], steps };
}

/**
 * Starts restoring `snap`: the fleets that run another build get a session-aware release back
 * to the snapshot's live build (returned as `releases`); the cycle finishes the restore once
 * they all run it. Refused while a release or restore is in flight.
 */
export function planRestore(env: Environment, snap: EnvSnapshot, fleets: readonly FleetObservation[], now: number): { env: Environment; releases: string[] } {
  if (!isSettled(env, fleets)) {
    throw new HandoffError('ENV_BUSY', `environment ${env.name} has a release or restore in flight; wait for it, or abort it`, { environment: env.name });
  }
  const build = snap.slots[snap.live].build;
  const releases = fleets.filter((f) => f.currentBuild !== build).map((f) => f.name);
  let next: Environment = { ...env, restoring: { snapshot: snap.number, build, startedAt: now }, next: null };
  if (releases.length > 0 && idleSlot(env).build !== build) {
    next = setSlot(next, otherSlot(env.live), { ...idleSlot(env), build, stagedAt: null, boundAt: now });
  }
  next = record(next, now, { action: 'restore', slot: otherSlot(env.live), build, snapshot: snap.number, detail: releases.length > 0 ? `releasing ${build} to ${releases.join(', ')}` : `fleets already run ${build}` });
  return { env: next, releases };
}

function finishRestore(env: Environment, fleets: readonly FleetObservation[], settled: string, now: number, snap: EnvSnapshot | undefined): CycleResult {
  const r = env.restoring;
  if (!r || !snap || settled !== r.build) {
    // The release back was aborted or failed: the fleets settled elsewhere. Say so and stop waiting.
    const next = record({ ...env, restoring: null }, now, { action: 'restore', slot: env.live, build: settled, ...(r ? { snapshot: r.snapshot } : {}), detail: `restore did not complete; the fleets run ${settled}` });
    return { env: next, snapshots: [], steps: ['restore-abandoned'] };
  }
  let next: Environment = { ...env, restoring: null, live: snap.live, slots: { blue: { ...snap.slots.blue }, green: { ...snap.slots.green } } };
  next = record(next, now, { action: 'restored', slot: snap.live, build: settled, snapshot: snap.number, detail: `configuration of snapshot #${snap.number} restored` });
  const taken = takeSnapshot(next, fleets, now, `restored from #${snap.number}`);
  return { env: taken.env, snapshots: [taken.snapshot], steps: ['restored', 'snapshot'] };
}

function setSlot(env: Environment, slot: 'blue' | 'green', profile: SlotProfile): Environment {
  return { ...env, slots: { ...env.slots, [slot]: profile } };
}
