/**
 * The in-place canary (`servers: 'in-place'`), pure: instead of starting canary servers beside
 * the old build's, `inPlaceServers` of the old build's servers leave rotation (no new sessions,
 * their players stay), the fleet planner stops each once it is empty, and a canary server starts
 * in the room it leaves. There is no surge: until the release completes, every pass shares the
 * room the fleet has under its maxServers between the two builds — the canary first (its servers,
 * then what its weight asks for), the old build the rest — as role caps the fleet planner obeys
 * (`roles` in `index.ts`). The same drain → stop → replace as a rolling release with zero surge,
 * built from the same pieces (`../replace.ts`).
 */
import { HandoffError } from '../../../core/errors.js';
import type { RolloutPhase } from '../../model.js';
import type { RolloutServer } from '../../strategy.js';
import { emptiestFirst, observeReplacement, type Replacement } from '../replace.js';
import { resolveServers } from '../rolling/spec.js';
import type { CanarySpec } from './spec.js';

/** The `drainReason` of an old server an in-place canary took out of rotation. */
export const IN_PLACE_DRAIN_REASON = 'canary in-place';

/** What an in-place canary keeps in `progressState.inPlace`. */
export interface InPlaceProgress {
  /** Old servers to replace with canary servers. */
  servers: number;
  /** The fleet's maxServers when the release started: the fleet never runs more. */
  maxServers: number;
  /** Old servers this release took out of rotation. */
  drained: string[];
  /** Of those, how many have emptied and gone. */
  replaced: number;
  /** Role caps the fleet planner reads: servers each build may have up. */
  oldCap: number;
  canaryCap: number;
  /** Since when canary servers were asked for and are not all Ready (the ready timeout runs only then). */
  waitingSince: number | null;
}

export function isInPlace(spec: Pick<CanarySpec, 'servers'>): boolean {
  return spec.servers === 'in-place';
}

/**
 * How many old servers become canary servers: a count, or a percentage of the old build's
 * running servers rounded up. At least one, and at least one old server must stay in rotation
 * (the old build keeps every player the canary does not take); otherwise ROLLOUT_INVALID_SPEC.
 */
export function inPlaceCount(spec: Pick<CanarySpec, 'inPlaceServers'>, runningOld: number): number {
  const asked = spec.inPlaceServers ?? 1;
  const n = resolveServers(asked, runningOld, Math.ceil);
  if (n < 1) {
    throw new HandoffError('ROLLOUT_INVALID_SPEC', `inPlaceServers ${asked} replaces no server: an in-place canary needs at least one`, { field: 'inPlaceServers', inPlaceServers: asked, servers: n });
  }
  if (n >= runningOld) {
    throw new HandoffError(
      'ROLLOUT_INVALID_SPEC',
      `inPlaceServers ${asked} is ${n} of the ${runningOld} servers the old build runs: an in-place canary replaces fewer than all of them (at least one keeps the old build's players), or use servers: new`,
      { field: 'inPlaceServers', inPlaceServers: asked, servers: n, running: runningOld },
    );
  }
  return n;
}

export function initialInPlace(servers: number, capacity: { maxServers: number }, runningOld: number): InPlaceProgress {
  return { servers, maxServers: capacity.maxServers, drained: [], replaced: 0, oldCap: runningOld, canaryCap: 0, waitingSince: null };
}

/**
 * One provisioning pass: take out of rotation the old servers still to replace (emptiest first,
 * never the last one in rotation), and keep the ready timer. `ready` is how many canary servers
 * are Ready; the canary's steps begin once that reaches `servers`.
 */
export function provisionInPlace(
  ip: InPlaceProgress,
  servers: readonly RolloutServer[],
  builds: { fromBuild: string; toBuild: string },
  now: number,
): { drains: RolloutServer[]; next: InPlaceProgress; ready: number } {
  const seen = observeReplacement(servers, builds.fromBuild, builds.toBuild);
  const present = new Set(servers.map((s) => s.id));
  const candidates = seen.oldReady.filter((s) => !ip.drained.includes(s.id));
  const drains = emptiestFirst(candidates, Math.min(ip.servers - ip.drained.length, seen.oldReady.length - 1));
  const drained = [...ip.drained, ...drains.map((s) => s.id)];
  const asked = inPlaceCaps(ip, seen, drains.length, 'Provisioning', 0, false).canaryCap;
  const waitingSince = seen.newReady.length >= asked ? null : (ip.waitingSince ?? now);
  const next = { ...ip, drained, replaced: ip.drained.filter((id) => !present.has(id)).length, waitingSince };
  return { drains, next, ready: seen.newReady.length };
}

/**
 * The room under maxServers, shared each pass: the canary gets what it wants first — its
 * `servers` while provisioning or while nobody is routed to it, then its weight's share of the
 * fleet (leaving the old build one), then, draining, all of it — and the old build the rest.
 * A cap never falls below what a build has up: room is only ever handed out, never taken back.
 */
export function inPlaceCaps(
  ip: InPlaceProgress,
  seen: Replacement,
  drainingNow: number,
  phase: RolloutPhase,
  weight: number,
  routed: boolean,
): Pick<InPlaceProgress, 'oldCap' | 'canaryCap'> {
  // Every server counts against the max, whatever its build or state (stopping ones too).
  const free = Math.max(0, ip.maxServers - seen.present);
  const want = phase === 'Draining' || weight >= 100 ? Infinity
    : phase === 'Provisioning' || !routed ? ip.servers
      : Math.min(ip.maxServers - 1, Math.max(ip.servers, Math.ceil((ip.maxServers * weight) / 100)));
  const grant = Math.min(free, Math.max(0, want - seen.newUp));
  return { canaryCap: seen.newUp + grant, oldCap: Math.max(0, seen.oldUp.length - drainingNow) + free - grant };
}

/** A pass's caps written into the progress, or null when nothing changed. */
export function withCaps(
  ip: InPlaceProgress,
  servers: readonly RolloutServer[],
  r: { fromBuild: string; toBuild: string; phase: RolloutPhase; weight: number; routed: boolean; drainingNow: number },
): InPlaceProgress | null {
  const seen = observeReplacement(servers, r.fromBuild, r.toBuild);
  const caps = inPlaceCaps(ip, seen, r.drainingNow, r.phase, r.weight, r.routed);
  const present = new Set(servers.map((s) => s.id));
  const next = { ...ip, ...caps, replaced: ip.drained.filter((id) => !present.has(id)).length };
  return JSON.stringify(next) === JSON.stringify(ip) ? null : next;
}
