/** Plans and run states for the release planner's tests. */
import type { RolloutSpec } from '../rollout/model.js';
import { initialSteps, type FailurePolicy, type ReleaseGate, type ReleasePlanSpec, type ReleaseRecord, type StepState } from './model.js';

const rolling = { strategy: 'rolling', maxSurge: 1, maxUnavailable: 0, batchReadyTimeoutSeconds: 300, maxStartFailures: 3 } as unknown as RolloutSpec;

/** A plan from `[name, after, gate?]` rows; step `x` releases fleet `x` to build `x-v2`. */
export function planOf(rows: readonly (readonly [string, readonly string[], ReleaseGate?])[], failurePolicy: FailurePolicy = 'stop'): ReleasePlanSpec {
  return {
    name: 'game', failurePolicy, webhooks: [],
    steps: rows.map(([name, after, gate]) => ({ name, fleet: name, build: `${name}-v2`, spec: rolling, after: [...after], gate: gate ?? null })),
  };
}

export function recordOf(plan: ReleasePlanSpec, steps: Partial<Record<string, Partial<StepState>>> = {}, over: Partial<ReleaseRecord> = {}): ReleaseRecord {
  return {
    name: plan.name, spec: plan, phase: 'Running', message: '', abortRequested: false, completionOrder: [],
    steps: initialSteps(plan).map((s) => ({ ...s, ...steps[s.name] })),
    createdAt: 0, updatedAt: 0, finishedAt: null, ...over,
  };
}

/** A step that has run to completion from `<name>-v1`. */
export function done(name: string, at = 1): Partial<StepState> {
  return { phase: 'Completed', rolloutId: `ro_${name}`, fromBuild: `${name}-v1`, startedAt: at - 1, completedAt: at };
}

export function running(name: string): Partial<StepState> {
  return { phase: 'Running', rolloutId: `ro_${name}`, fromBuild: `${name}-v1`, startedAt: 1 };
}
