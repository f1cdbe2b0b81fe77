/**
 * A/B test: two or more builds serve side by side, players assigned by segment cohorts or sticky
 * weights, with per-variant figures in `rollout status`. It never promotes itself: an operator
 * ends it with `promote --variant X`, after which X takes every new session and the others empty.
 */
import { validateRoutingTable } from '../../../allocation/decide-routing.js';
import { HandoffError } from '../../../core/errors.js';
import type { BuildRole } from '../../../fleet/plan-fleet.js';
import type { Rollout } from '../../model.js';
import type { Strategy } from '../../strategy.js';
import { hasCohort } from '../cohort.js';
import { abProgress, abRouting, newVariantBuilds, planAbTest } from './plan.js';
import { abTestOptions, variantName, type AbTestSpec } from './spec.js';

type AbRollout = Rollout & { spec: AbTestSpec };

function invalid(message: string, details: Record<string, unknown>): HandoffError {
  return new HandoffError('ROLLOUT_VARIANTS_INVALID', message, details);
}

/** What the schema cannot say: two or more distinct variants, weights summing to 100, each reachable, the release's build among them. */
export function validateAbTest(spec: AbTestSpec, release?: { build: string }): void {
  const { variants } = spec;
  if (variants.length < 2) throw invalid('an A/B test has two or more variants', { variants: variants.length });
  const builds = new Set<string>();
  const names = new Set<string>();
  variants.forEach((v, i) => {
    if (builds.has(v.build)) throw invalid(`variants[${i}]: build ${v.build} is listed twice`, { variant: i, build: v.build });
    if (names.has(variantName(v))) throw invalid(`variants[${i}]: the name ${variantName(v)} is used twice`, { variant: i, name: variantName(v) });
    builds.add(v.build);
    names.add(variantName(v));
    if (v.weight === 0 && !hasCohort(v.cohort)) {
      throw invalid(`variants[${i}] (${variantName(v)}): weight 0 and no cohort, so no player would ever play it`, { variant: i, name: variantName(v) });
    }
  });
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  if (Math.abs(total - 100) > 1e-9) throw invalid(`the variants' weights sum to ${total}, not 100`, { total });
  if (release && !builds.has(release.build)) {
    throw invalid(`the release's build ${release.build} is not one of the variants (${[...builds].join(', ')})`, { build: release.build, variants: [...builds] });
  }
  validateRoutingTable(abRouting({ id: 'check', spec }));
}

/** Servers of each variant to have Ready before the test starts: its share of the old build's, at least one. */
export function variantTargets(spec: AbTestSpec, capacity: { maxServers: number }, runningOld: number): Record<string, number> {
  return Object.fromEntries(spec.variants.map((v) => [v.build, Math.min(capacity.maxServers, Math.max(1, Math.ceil((runningOld * v.weight) / 100)))]));
}

export const abTest: Strategy<AbTestSpec> = {
  name: 'ab-test',
  summary: 'serve two or more builds side by side by segment or sticky share, with per-variant figures, until promote --variant',
  options: abTestOptions,
  validate: (spec, _now, release) => validateAbTest(spec, release),
  builds: (spec) => spec.variants.map((v) => v.build),
  init(spec, start) {
    const targets = variantTargets(spec, start.capacity, start.runningOld);
    const fresh = spec.variants.filter((v) => v.build !== start.fromBuild);
    return {
      phase: 'Provisioning',
      message: 'starting servers of the variants',
      targetServers: fresh.reduce((n, v) => n + (targets[v.build] ?? 1), 0),
      progressState: { targets, winner: null, winnerName: null, decidedAt: null },
    };
  },
  plan: planAbTest,
  roles(r: AbRollout, fleetIdleSeconds: number): Map<string, BuildRole> {
    const roles = new Map<string, BuildRole>();
    const retiring = { role: 'retiring' as const, idleSeconds: r.spec.oldIdleSeconds ?? fleetIdleSeconds };
    const ps = abProgress(r);
    const variants = r.spec.variants.map((v) => v.build);
    if (r.phase === 'Provisioning') {
      for (const b of newVariantBuilds(r)) roles.set(b, { role: 'preview', target: ps.targets[b] ?? 1 });
    } else if (r.phase === 'Progressing') {
      if (!variants.includes(r.fromBuild)) roles.set(r.fromBuild, retiring);
    } else if (r.phase === 'Draining' || r.phase === 'Completed') {
      for (const b of [r.fromBuild, ...variants]) if (b !== ps.winner) roles.set(b, retiring);
    } else if (r.phase === 'Aborted' || r.phase === 'Failed') {
      for (const b of newVariantBuilds(r)) roles.set(b, retiring);
    }
    return roles;
  },
  abortable: ['Provisioning', 'Progressing', 'Draining'],
  promote(r, input, now) {
    const names = r.spec.variants.map(variantName);
    if (r.phase !== 'Progressing') {
      throw new HandoffError('ROLLOUT_INVALID_PHASE', `rollout ${r.id} is ${r.phase}; an A/B test is ended with promote --variant while it runs (Progressing)`, { phase: r.phase });
    }
    if (input.variant == null) throw invalid(`an A/B test ends with promote --variant NAME, one of ${names.join(', ')}`, { variants: names });
    const chosen = r.spec.variants.find((v) => variantName(v) === input.variant) ?? r.spec.variants.find((v) => v.build === input.variant);
    if (!chosen) throw invalid(`rollout ${r.id} has no variant ${input.variant}; its variants are ${names.join(', ')}`, { variant: input.variant, variants: names });
    return { promotedAt: now, progressState: { ...abProgress(r), winner: chosen.build, winnerName: variantName(chosen) } };
  },
  hasRouted: (r) => r.switchedAt !== null,
  figures(r) {
    if (r.switchedAt === null) return null;
    const ps = abProgress(r);
    return { since: r.switchedAt, until: ps.decidedAt, variants: r.spec.variants.map((v) => ({ name: variantName(v), build: v.build })) };
  },
};
