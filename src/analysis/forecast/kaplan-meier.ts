/**
 * The Kaplan–Meier (product-limit) estimate of a survival curve from right-censored lengths.
 * Pure: no clock, no I/O. Times are integers or reals in any unit (Handoff uses milliseconds).
 *
 *   S(t) = Π_{t_j ≤ t} (1 − d_j / n_j)
 *
 * over the distinct event times t_j, where d_j is the number of events at t_j and n_j the
 * number of observations still at risk just before t_j (length ≥ t_j). Ties follow the usual
 * convention: an observation censored at t_j is still at risk at t_j, i.e. events at a time come
 * before censorings at the same time (Kaplan & Meier 1958, §2).
 */

export interface Observation {
  /** How long the subject was observed (ms for sessions). */
  time: number;
  /** true: the end was observed at `time` (an event); false: it was still going (censored). */
  event: boolean;
}

export interface SurvivalStep {
  /** A distinct time with at least one event. */
  time: number;
  /** Observations with length ≥ time. */
  atRisk: number;
  events: number;
  /** S(time): the estimate just after this step. */
  survival: number;
}

export interface SurvivalCurve {
  /** One step per distinct event time, ascending; S(t) = 1 before the first. */
  steps: readonly SurvivalStep[];
  /**
   * The largest observed time (event or censored). Beyond it the data says nothing, unless the
   * curve already reached 0 (its last observation was an event that emptied the risk set).
   */
  horizon: number;
  observations: number;
  events: number;
}

/** Estimates the survival curve. Observations with a negative or non-finite time are refused. */
export function kaplanMeier(observations: readonly Observation[]): SurvivalCurve {
  for (const o of observations) {
    if (!Number.isFinite(o.time) || o.time < 0) throw new RangeError(`observation time must be a finite number ≥ 0, got ${o.time}`);
  }
  // Ascending time; at equal times events first, so a censoring at t_j still counts at risk at t_j.
  const sorted = [...observations].sort((a, b) => a.time - b.time || Number(b.event) - Number(a.event));
  const steps: SurvivalStep[] = [];
  let atRisk = sorted.length;
  let survival = 1;
  let events = 0;
  let i = 0;
  while (i < sorted.length) {
    const time = (sorted[i] as Observation).time;
    let d = 0;
    let leaving = 0;
    for (; i < sorted.length && (sorted[i] as Observation).time === time; i++) {
      leaving++;
      if ((sorted[i] as Observation).event) d++;
    }
    if (d > 0) {
      survival *= 1 - d / atRisk;
      steps.push({ time, atRisk, events: d, survival });
      events += d;
    }
    atRisk -= leaving;
  }
  const last = sorted.at(-1);
  return { steps, horizon: last === undefined ? 0 : last.time, observations: sorted.length, events };
}

/**
 * S(t), or `undefined` where the data cannot tell: past the horizon while the curve is still
 * above 0. (The usual convention of carrying the last value forward would claim knowledge we do
 * not have; callers that want a bound use `survivalUpperBound`.)
 */
export function survivalAt(curve: SurvivalCurve, t: number): number | undefined {
  const s = stepValue(curve, t);
  if (t > curve.horizon && s > 0) return undefined;
  return s;
}

/** S(t) where known; past the horizon, the last value, which S(t) cannot exceed. */
export function survivalUpperBound(curve: SurvivalCurve, t: number): number {
  return stepValue(curve, t);
}

/** The value of the step function at t (last step with time ≤ t), by binary search. */
function stepValue(curve: SurvivalCurve, t: number): number {
  const { steps } = curve;
  let lo = 0;
  let hi = steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((steps[mid] as SurvivalStep).time <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 1 : (steps[lo - 1] as SurvivalStep).survival;
}

/** Whether the curve falls to 0 within the data (every subject at risk at the last event had it). */
export function reachesZero(curve: SurvivalCurve): boolean {
  return (curve.steps.at(-1)?.survival ?? 1) === 0;
}
