/**
 * Release plans: one release of a whole game. A plan is a set of fleet releases ("steps"), each
 * with its build and strategy, ordered by dependencies (`after`), with an optional gate before a
 * step (a person's approval, or a webhook that answers pass/fail) and a failure policy.
 *
 * The release domain sits ABOVE the rollout domain: it starts and aborts fleet rollouts through
 * the rollout service and reads their phases; the rollout domain never knows plans exist.
 */
import type { MetricResult, Verdict } from '../analysis/judge/model.js';
import type { AnalysisSpec } from '../analysis/spec.js';
import type { WebhookCheck } from '../rollout/checks.js';
import type { RolloutPhase, RolloutSpec } from '../rollout/model.js';

export const FailurePolicies = ['stop', 'rollback'] as const;
/** `stop`: halt where the plan is. `rollback`: also release each completed step's fleet back to its previous build, newest first. */
export type FailurePolicy = (typeof FailurePolicies)[number];

/** A webhook a plan declares once and its gates name. */
export interface NamedWebhook extends WebhookCheck {
  name: string;
}

/**
 * What must pass before a step starts. A webhook is given inline or by the name of one the plan
 * declares. An analysis judges the new build of each step this one comes `after` against the
 * build its fleet ran before, over `windowSeconds` from when the gate begins checking.
 */
export type ReleaseGate = { approval: true } | { webhook: WebhookCheck | { name: string } } | { analysis: AnalysisSpec };

export interface ReleaseStepSpec {
  /** Unique in the plan; `after` refers to steps by name. */
  name: string;
  fleet: string;
  build: string;
  /** The strategy and its options, exactly as `POST /v1/rollouts` takes them. */
  spec: RolloutSpec;
  /** Steps that must have completed before this one starts. */
  after: string[];
  gate: ReleaseGate | null;
}

export interface ReleasePlanSpec {
  name: string;
  steps: ReleaseStepSpec[];
  failurePolicy: FailurePolicy;
  webhooks: NamedWebhook[];
}

export const StepPhases = [
  'Pending', // waiting for its `after` steps
  'Gated', // its steps are done; waiting for its gate (an approval, or a webhook's answer)
  'Running', // its fleet rollout is under way
  'Completed',
  'Failed', // its rollout failed or was aborted, or its gate failed
  'Aborted', // the plan stopped while it ran: its rollout was aborted (session-aware)
  'Cancelled', // the plan stopped before it started
  'RollingBack', // a release of its fleet back to its previous build is under way
  'RolledBack',
  'RollbackFailed',
] as const;
export type StepPhase = (typeof StepPhases)[number];

/** One step's new build judged by an analysis gate, with the numbers behind the verdict. */
export interface GateVerdict {
  /** The step whose fleet was judged (one the gated step comes `after`). */
  step: string;
  fleet: string;
  canary: string;
  baseline: string;
  verdict: Verdict;
  metrics: MetricResult[];
}

export interface GateState {
  kind: 'approval' | 'webhook' | 'analysis';
  /** `inconclusive` (analysis only): waits for a person; an approval passes it. */
  state: 'waiting' | 'checking' | 'passed' | 'failed' | 'inconclusive';
  detail: string;
  /** When the gate's state last changed; for an analysis that is checking, when its window began. */
  at: number;
  /** An analysis gate's window and verdicts, once judged. */
  analysis?: { window: { since: number; until: number }; verdict: Verdict; verdicts: GateVerdict[] };
}

export interface StepState {
  name: string;
  phase: StepPhase;
  message: string;
  gate: GateState | null;
  /** The rollout this step started. */
  rolloutId: string | null;
  /** The build its fleet took new sessions on before this step: what a rollback returns to (null: nothing to undo). */
  fromBuild: string | null;
  /** The rollout that brings the fleet back to `fromBuild`. */
  rollbackRolloutId: string | null;
  startedAt: number | null;
  completedAt: number | null;
}

export const ReleasePhases = ['Running', 'Completed', 'Failed', 'RollingBack', 'RolledBack', 'Aborted'] as const;
export type ReleasePhase = (typeof ReleasePhases)[number];
export const TerminalReleasePhases: readonly ReleasePhase[] = ['Completed', 'Failed', 'RolledBack', 'Aborted'];

/** A plan as stored: its spec and where its run stands. */
export interface ReleaseRecord {
  name: string;
  spec: ReleasePlanSpec;
  phase: ReleasePhase;
  message: string;
  steps: StepState[];
  /** Step names in the order they completed: a rollback undoes them in reverse. */
  completionOrder: string[];
  /** An operator asked to stop the plan. */
  abortRequested: boolean;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** What the planner reads of each step's rollouts: their current phases (null: none, or unknown). */
export interface StepRollouts {
  rollout: RolloutPhase | null;
  rollback: RolloutPhase | null;
}

export function isTerminalRelease(phase: ReleasePhase): boolean {
  return TerminalReleasePhases.includes(phase);
}

export function initialSteps(spec: ReleasePlanSpec): StepState[] {
  return spec.steps.map((s) => ({
    name: s.name, phase: 'Pending', message: '', gate: null, rolloutId: null, fromBuild: null, rollbackRolloutId: null, startedAt: null, completedAt: null,
  }));
}
