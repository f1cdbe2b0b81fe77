import { z } from 'zod';
import { AnalysisSpecSchema, validateAnalysis, type AnalysisSpec } from '../../../analysis/spec.js';
import { HandoffError } from '../../../core/errors.js';
import { DrainDeadlineSchema, SmokeCheckSchema, type DrainDeadline, type SmokeCheck } from '../../checks.js';

/** A number of servers, or a share of the fleet's size written like `"25%"`. */
export type ServerBudget = number | string;

export interface RollingSpec {
  strategy: 'rolling';
  /** Servers of the new build allowed above the fleet's size at once (0: never more servers than before). */
  maxSurge: ServerBudget;
  /** Servers allowed out of rotation at once (taking no new sessions while they empty). */
  maxUnavailable: ServerBudget;
  /** Checked against one new server of each batch before the next batch begins. */
  smoke: SmokeCheck | null;
  /** Pause when the new servers a batch asked for are not Ready within this time. */
  batchReadyTimeoutSeconds: number;
  /** Pause when this many new-build servers fail to start (counted again from each resume). */
  maxStartFailures: number;
  /** Optional: close what is left on an old server this long after it left rotation, with a notice first. */
  drain: DrainDeadline | null;
  /**
   * Optional: after each batch but the last is in rotation, the new build is judged against the
   * old one over `windowSeconds` before the next batch begins (absent on records before it).
   */
  analysis?: AnalysisSpec | null;
}

/** A count of servers, or a percentage (the in-place canary's `inPlaceServers` takes the same). */
export const ServerBudgetSchema = z.union([
  z.number().int().min(0),
  z.string().regex(/^(100|[1-9]?[0-9])%$/, 'a count of servers, or a percentage from 0% to 100% such as "25%"'),
]);

/** The options of a rolling release, with their defaults: one server at a time, no extra server. */
export const rollingOptions = {
  maxSurge: ServerBudgetSchema.default(0),
  maxUnavailable: ServerBudgetSchema.default(1),
  smoke: SmokeCheckSchema.nullable().default(null),
  batchReadyTimeoutSeconds: z.number().int().min(1).default(300),
  maxStartFailures: z.number().int().min(1).default(3),
  drain: DrainDeadlineSchema.nullable().default(null),
  analysis: AnalysisSpecSchema.nullable().default(null),
};

/** How many servers a release replaces at once, resolved against the fleet's size. */
export interface Budget {
  surge: number;
  unavailable: number;
  /** Old servers replaced per batch: surge + unavailable, at least 1, at most the fleet's size. */
  batchSize: number;
  batches: number;
}

function isZero(b: ServerBudget): boolean {
  return b === 0 || b === '0%';
}

/** Both budgets zero: no server could ever leave rotation or be added, so nothing would be replaced. */
export function validateRolling(spec: Pick<RollingSpec, 'maxSurge' | 'maxUnavailable' | 'analysis'>): void {
  if (spec.analysis) validateAnalysis(spec.analysis);
  if (isZero(spec.maxSurge) && isZero(spec.maxUnavailable)) {
    throw new HandoffError('ROLLOUT_NO_PROGRESS', 'maxSurge and maxUnavailable are both 0: no server could be replaced; allow one extra server (maxSurge) or one out of rotation (maxUnavailable)', {
      maxSurge: spec.maxSurge,
      maxUnavailable: spec.maxUnavailable,
    });
  }
}

/**
 * Resolves percentages against the fleet's size: surge rounds up and unavailability down (so a
 * percentage never takes more servers out of rotation than it says). When both round to 0 on a
 * small fleet, one server at a time leaves rotation, as Kubernetes does.
 */
export function resolveBudget(spec: Pick<RollingSpec, 'maxSurge' | 'maxUnavailable'>, size: number): Budget {
  const surge = resolveServers(spec.maxSurge, size, Math.ceil);
  let unavailable = Math.min(size, resolveServers(spec.maxUnavailable, size, Math.floor));
  if (surge + unavailable === 0) unavailable = 1;
  const batchSize = Math.max(1, Math.min(size, surge + unavailable));
  return { surge, unavailable, batchSize, batches: Math.max(1, Math.ceil(size / batchSize)) };
}

/** A budget as a number of servers: a count as it is, a percentage of `of` rounded by `round`. */
export function resolveServers(b: ServerBudget, of: number, round: (x: number) => number): number {
  return typeof b === 'number' ? b : round((of * Number(b.slice(0, -1))) / 100);
}

/** The fleet's size for the release: the old build's running servers, within the fleet's min and max, at least one. */
export function rollingSize(capacity: { minServers: number; maxServers: number }, runningOld: number): number {
  return Math.min(capacity.maxServers, Math.max(1, capacity.minServers, runningOld));
}
