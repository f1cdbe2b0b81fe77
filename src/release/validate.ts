/**
 * Checks a release plan before anything of it is stored or started: step names unique, one step
 * per fleet, `after` naming steps of the plan, no dependency cycle, gates naming declared
 * webhooks, analysis gates on known metrics and after some step, fleets and builds that exist,
 * and each step's strategy options valid. Throws the first coded error; pure except for the
 * lookups it is given.
 */
import { criteriaOf } from '../analysis/spec.js';
import { HandoffError, isHandoffError } from '../core/errors.js';
import { strategyFor, validateRolloutSpec } from '../rollout/strategies/index.js';
import type { ReleasePlanSpec } from './model.js';

export interface PlanLookups {
  hasFleet(name: string): boolean;
  hasBuild(id: string): boolean;
}

export function validatePlan(plan: ReleasePlanSpec, known: PlanLookups, now: number): void {
  const names = new Set<string>();
  const fleets = new Set<string>();
  for (const s of plan.steps) {
    if (names.has(s.name)) throw new HandoffError('RELEASE_PLAN_INVALID', `two steps are named ${s.name}`, { step: s.name });
    if (fleets.has(s.fleet)) throw new HandoffError('RELEASE_PLAN_INVALID', `two steps release fleet ${s.fleet}; a plan releases each fleet once`, { fleet: s.fleet });
    names.add(s.name);
    fleets.add(s.fleet);
  }
  const hooks = new Set<string>();
  for (const w of plan.webhooks) {
    if (hooks.has(w.name)) throw new HandoffError('RELEASE_PLAN_INVALID', `two webhooks are named ${w.name}`, { webhook: w.name });
    hooks.add(w.name);
  }
  for (const s of plan.steps) {
    for (const d of s.after) {
      if (!names.has(d)) throw new HandoffError('RELEASE_PLAN_INVALID', `step ${s.name} comes after ${d}, which is no step of this plan`, { step: s.name, after: d });
    }
    if (s.gate && 'webhook' in s.gate && 'name' in s.gate.webhook && !hooks.has(s.gate.webhook.name)) {
      throw new HandoffError('RELEASE_WEBHOOK_UNKNOWN', `step ${s.name}'s gate names webhook ${s.gate.webhook.name}, which the plan does not declare`, { step: s.name, webhook: s.gate.webhook.name, declared: [...hooks] });
    }
    if (s.gate && 'analysis' in s.gate) {
      // It judges the steps this one comes after: with none there is no new build to judge.
      if (s.after.length === 0) throw new HandoffError('RELEASE_PLAN_INVALID', `step ${s.name} has an analysis gate but comes after no step; the gate judges the new builds of the steps it comes after`, { step: s.name });
      try {
        criteriaOf(s.gate.analysis);
      } catch (e) {
        // The same code as a rollout's analysis, pointed at the step whose gate names the metric.
        if (!isHandoffError(e)) throw e;
        const path = typeof e.details?.['path'] === 'string' ? `steps[${s.name}].gate.analysis.${e.details['path']}` : undefined;
        throw new HandoffError(e.code, `step ${s.name}'s analysis gate: ${e.message}`, { ...e.details, step: s.name, path });
      }
    }
  }
  const cycle = findCycle(plan);
  if (cycle) throw new HandoffError('RELEASE_PLAN_CYCLE', `the steps depend on each other in a cycle: ${cycle.join(' → ')}`, { cycle });
  for (const s of plan.steps) {
    if (!known.hasFleet(s.fleet)) throw new HandoffError('FLEET_NOT_FOUND', `step ${s.name}: no fleet named ${s.fleet}`, { step: s.name, fleet: s.fleet });
    if (!known.hasBuild(s.build)) throw new HandoffError('BUILD_NOT_FOUND', `step ${s.name}: no build ${s.build}`, { step: s.name, build: s.build });
    const strategy = strategyFor(s.spec);
    validateRolloutSpec(s.spec, now, { build: s.build });
    for (const b of strategy.builds?.(s.spec) ?? []) {
      if (!known.hasBuild(b)) throw new HandoffError('BUILD_NOT_FOUND', `step ${s.name}: no build ${b}`, { step: s.name, build: b });
    }
  }
}

/** A dependency cycle as the list of step names around it (first repeated at the end), or null. */
export function findCycle(plan: Pick<ReleasePlanSpec, 'steps'>): string[] | null {
  const after = new Map(plan.steps.map((s) => [s.name, s.after]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'visiting') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'visiting');
    path.push(n);
    for (const d of after.get(n) ?? []) {
      const found = visit(d);
      if (found) return found;
    }
    path.pop();
    state.set(n, 'done');
    return null;
  };
  for (const s of plan.steps) {
    const found = visit(s.name);
    if (found) return found;
  }
  return null;
}
