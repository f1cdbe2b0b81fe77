/**
 * An A/B test as a pure planner: (rollout, observed servers, now) → a plan.
 * Provisioning (servers of every new variant) → Progressing (the variants side by side, by
 * sticky weights and segment cohorts) → after `promote --variant X`, Draining (X takes every new
 * session, the other variants empty) → Completed once they are gone. It never promotes itself.
 *
 * The weights do not change while the test runs, and the salt is the release's id, so a player
 * (or party) keeps one variant for the whole test.
 */
import type { RoutingTable } from '../../../allocation/routing.js';
import type { ServerState } from '../../../fleet/model.js';
import type { Rollout } from '../../model.js';
import { emptyPlan, failedPlan, type RolloutObservation, type RolloutPlan } from '../../strategy.js';
import { cohortRules } from '../cohort.js';
import { planDrain } from '../drain.js';
import { variantName, type AbTestSpec } from './spec.js';

type AbRollout = Rollout & { spec: AbTestSpec };
type Observation = RolloutObservation<AbTestSpec>;

const READY = new Set<ServerState>(['Ready', 'Active']);

/** The test's progress, kept in `progressState`. */
export type AbProgress = {
  /** Servers of each variant's build to have Ready before the test starts. */
  targets: Record<string, number>;
  /** The build `promote --variant` chose, and when the plan gave it every new session. */
  winner: string | null;
  winnerName: string | null;
  decidedAt: number | null;
};

export function abProgress(r: Rollout): AbProgress {
  const p = r.progressState ?? {};
  return {
    targets: typeof p.targets === 'object' && p.targets !== null ? (p.targets as Record<string, number>) : {},
    winner: typeof p.winner === 'string' ? p.winner : null,
    winnerName: typeof p.winnerName === 'string' ? p.winnerName : null,
    decidedAt: typeof p.decidedAt === 'number' ? p.decidedAt : null,
  };
}

/** The variants side by side: one entry each, in the order given, and each variant's cohort. */
export function abRouting(r: Pick<AbRollout, 'id' | 'spec'>): RoutingTable {
  const { variants } = r.spec;
  return {
    entries: variants.map((v) => ({ build: v.build, weight: v.weight })),
    rules: variants.flatMap((v) => cohortRules(v.cohort, v.build, `variant-${variantName(v)}`)),
    salt: r.id,
  };
}

/** The winner takes every new session; the entries keep their order (and the salt), so nothing else moves. */
export function winnerRouting(r: Pick<AbRollout, 'id' | 'spec'>, winner: string): RoutingTable {
  return { entries: r.spec.variants.map((v) => ({ build: v.build, weight: v.build === winner ? 100 : 0 })), salt: r.id };
}

/** Builds the test starts servers for: every variant but the build the fleet runs now. */
export function newVariantBuilds(r: Pick<AbRollout, 'fromBuild' | 'spec'>): string[] {
  return r.spec.variants.map((v) => v.build).filter((b) => b !== r.fromBuild);
}

export function planAbTest(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  switch (r.phase) {
    case 'Provisioning':
      return provisioning(o);
    case 'Progressing':
      return crashLooping(r, now) ?? running(r, now);
    case 'Draining': {
      const ps = abProgress(r);
      const winner = ps.winner ?? r.toBuild;
      const leaving = [r.fromBuild, ...r.spec.variants.map((v) => v.build)];
      return planDrain(r, o.servers, now, { winner, leaving, since: ps.decidedAt ?? now, drain: r.spec.drain });
    }
    default:
      return emptyPlan();
  }
}

function provisioning(o: Observation): RolloutPlan {
  const { rollout: r, now } = o;
  const failed = crashLooping(r, now);
  if (failed) return failed;
  if (now - r.createdAt > r.spec.readyTimeoutSeconds * 1000) {
    return failedPlan(r, now, `the variants were not Ready within ${r.spec.readyTimeoutSeconds}s`);
  }
  const { targets } = abProgress(r);
  const waiting: string[] = [];
  for (const build of newVariantBuilds(r)) {
    const ready = o.servers.filter((s) => s.build === build && READY.has(s.state)).length;
    const target = targets[build] ?? 1;
    if (ready < target) waiting.push(`${build} ${ready}/${target}`);
  }
  if (waiting.length > 0) {
    const message = `waiting for servers Ready: ${waiting.join(', ')}`;
    return message === r.message ? emptyPlan() : { ...emptyPlan(), patch: { message } };
  }
  const split = r.spec.variants.map((v) => `${variantName(v)} (${v.build}) ${v.weight}%`).join(', ');
  return {
    ...emptyPlan(),
    routing: abRouting(r),
    patch: { phase: 'Progressing', readyAt: now, switchedAt: now, message: `A/B test running: ${split}; end it with promote --variant NAME` },
  };
}

function running(r: AbRollout, now: number): RolloutPlan {
  const ps = abProgress(r);
  if (ps.winner === null) return emptyPlan();
  const others = [r.fromBuild, ...r.spec.variants.map((v) => v.build)].filter((b, i, all) => b !== ps.winner && all.indexOf(b) === i);
  return {
    ...emptyPlan(),
    routing: winnerRouting(r, ps.winner),
    patch: {
      phase: 'Draining',
      progressState: { ...ps, decidedAt: now },
      message: `variant ${ps.winnerName ?? ps.winner} chosen: every new session goes to ${ps.winner}; ${others.join(', ')} emptying`,
    },
  };
}

function crashLooping(r: AbRollout, now: number): RolloutPlan | null {
  if (r.startFailures < r.spec.maxStartFailures) return null;
  return failedPlan(r, now, `servers of the new variants failed to start ${r.startFailures} times; last failure: ${r.lastFailure ?? 'unknown'}`);
}

