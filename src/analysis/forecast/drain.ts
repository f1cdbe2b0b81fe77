/**
 * When will a build that takes no new sessions be empty? Pure: `now` is a parameter.
 *
 * With S the Kaplan–Meier curve of session lengths, an open session of age a has remaining
 * length R with P(R > t) = S(a + t) / S(a). Sessions end independently, and the build is
 * empty when the last one ends:
 *
 *   F(t) = P(empty by now + t) = Π_i [1 − S(a_i + t) / S(a_i)]
 *
 * The q-quantile of the time until empty is the smallest t with F(t) ≥ q. F is known only while
 * every a_i + t stays within the observed lengths; a quantile beyond that is reported as
 * "later than" the last time we can speak for, never invented. Times are integer milliseconds.
 */
import { kaplanMeier, reachesZero, survivalAt, type SurvivalCurve } from './kaplan-meier.js';
import type { Sample } from './sample.js';

export interface ForecastOptions {
  /** Fewer events than this in the sample: no numbers, `insufficient-data`. */
  minEvents: number;
  /** A deadline warns when the probability of cutting at least one session reaches this. */
  warnProbability: number;
}

export const DefaultForecastOptions: ForecastOptions = { minEvents: 20, warnProbability: 0.05 };

/** The inputs, prepared once for `forecastDrain` and `deadlineRisk`. */
export interface DrainModel {
  now: number;
  curve: SurvivalCurve;
  sample: Sample;
  /** Ages (ms) of the draining build's open sessions, ascending. */
  ages: number[];
}

/** A point of the time-until-empty distribution: known (`at`), or only bounded below. */
export type Quantile = { at: number; laterThan: null } | { at: null; laterThan: number };

export const ForecastStatuses = ['ok', 'empty', 'insufficient-data'] as const;
export type ForecastStatus = (typeof ForecastStatuses)[number];

export interface DrainForecast {
  status: ForecastStatus;
  /** Why numbers are missing or open-ended; null when all three are known. */
  reason: string | null;
  openSessions: number;
  oldestAgeMs: number | null;
  /** 10th, 50th and 90th percentiles of the moment the build is empty; null without enough data. */
  emptyAt: { p10: Quantile; p50: Quantile; p90: Quantile } | null;
}

export interface DeadlineRisk {
  deadline: number;
  openSessions: number;
  /** Σ_i S(a_i + d) / S(a_i): sessions expected still open at the deadline (to be cut). */
  expectedOpen: number | null;
  /** 1 − F(d): the probability that the deadline cuts at least one session. */
  probabilityAnyCut: number | null;
  /** Sessions whose survival past the deadline lies beyond the data; counted as likely to be cut. */
  extrapolated: number;
  warn: boolean;
  reason: string | null;
}

/** Prepares the survival curve and the draining sessions' ages. */
export function drainModel(sample: Sample, subjectOpenedAt: readonly number[], now: number): DrainModel {
  const ages = subjectOpenedAt.map((o) => Math.max(0, now - o)).sort((a, b) => a - b);
  return { now, curve: kaplanMeier(sample.observations), sample, ages };
}

/** The forecast of when the build is empty. */
export function forecastDrain(m: DrainModel, opts: ForecastOptions = DefaultForecastOptions): DrainForecast {
  const openSessions = m.ages.length;
  const oldestAgeMs = m.ages.at(-1) ?? null;
  const base = { openSessions, oldestAgeMs };
  if (openSessions === 0) {
    const now: Quantile = { at: m.now, laterThan: null };
    return { ...base, status: 'empty', reason: null, emptyAt: { p10: now, p50: now, p90: now } };
  }
  if (m.curve.events < opts.minEvents) {
    return { ...base, status: 'insufficient-data', reason: `${m.curve.events} observed session ends; at least ${opts.minEvents} are needed`, emptyAt: null };
  }
  const beyond = m.ages.filter((a) => !((survivalAt(m.curve, a) ?? 0) > 0)).length;
  if (beyond > 0) {
    const open: Quantile = { at: null, laterThan: m.now };
    return { ...base, status: 'ok', reason: `${beyond} open session(s) are older than the observed sessions last`, emptyAt: { p10: open, p50: open, p90: open } };
  }
  const known = knownUntil(m);
  const atAge = m.ages.map((a) => survivalAt(m.curve, a) as number);
  const q = (p: number): Quantile => quantile(m, atAge, p, known);
  const emptyAt = { p10: q(0.1), p50: q(0.5), p90: q(0.9) };
  const reason = emptyAt.p90.at === null ? 'observed sessions do not last long enough to bound the later percentiles' : null;
  return { ...base, status: 'ok', reason, emptyAt };
}

/**
 * What a drain deadline at `deadline` would do: sessions expected still open then, and the
 * probability that it cuts at least one. Past the observed lengths a session is assumed to
 * survive at the curve's last value (an upper bound), so the estimate errs towards warning.
 */
export function deadlineRisk(m: DrainModel, deadline: number, opts: ForecastOptions = DefaultForecastOptions): DeadlineRisk {
  const openSessions = m.ages.length;
  const base = { deadline, openSessions };
  if (openSessions === 0) return { ...base, expectedOpen: 0, probabilityAnyCut: 0, extrapolated: 0, warn: false, reason: null };
  if (m.curve.events < opts.minEvents) {
    return { ...base, expectedOpen: null, probabilityAnyCut: null, extrapolated: 0, warn: true,
      reason: `cannot estimate with ${m.curve.events} observed session ends; ${openSessions} session(s) are open and may be cut` };
  }
  const d = Math.max(0, deadline - m.now);
  let expected = 0;
  let noneOpen = 1;
  let extrapolated = 0;
  for (const a of m.ages) {
    const r = remainingAfter(m.curve, a, d);
    if (r.extrapolated) extrapolated++;
    expected += r.p;
    noneOpen *= 1 - r.p;
  }
  const probabilityAnyCut = 1 - noneOpen;
  const warn = probabilityAnyCut >= opts.warnProbability;
  const reason = warn
    ? `about ${expected.toFixed(1)} of ${openSessions} open session(s) would be cut; ${Math.round(probabilityAnyCut * 100)}% chance of cutting at least one`
    : null;
  return { ...base, expectedOpen: expected, probabilityAnyCut, extrapolated, warn, reason };
}

/** P(a session of age a is still open d later), and whether that needed the conservative bound. */
function remainingAfter(curve: SurvivalCurve, a: number, d: number): { p: number; extrapolated: boolean } {
  const sa = survivalAt(curve, a);
  if (sa === undefined || sa === 0) return { p: 1, extrapolated: true };
  const later = survivalAt(curve, a + d);
  if (later !== undefined) return { p: later / sa, extrapolated: false };
  const last = curve.steps.at(-1)?.survival ?? 1;
  return { p: last / sa, extrapolated: true };
}

/**
 * The largest t for which F(t) is known: every a_i + t within the horizon. When the curve
 * reaches 0, F is known everywhere and is 1 once the youngest session passes the last event.
 */
function knownUntil(m: DrainModel): number {
  const youngest = m.ages[0] as number;
  const oldest = m.ages.at(-1) as number;
  if (reachesZero(m.curve)) return Math.max(1, (m.curve.steps.at(-1)?.time ?? 0) - youngest);
  return Math.max(0, m.curve.horizon - oldest);
}

/** F(t), for 0 ≤ t ≤ knownUntil; `atAge[i]` is S(ages[i]) > 0. */
function emptyBy(m: DrainModel, atAge: readonly number[], t: number): number {
  let f = 1;
  for (let i = 0; i < m.ages.length && f > 0; i++) {
    f *= 1 - (survivalAt(m.curve, (m.ages[i] as number) + t) ?? 0) / (atAge[i] as number);
  }
  return f;
}

/** Products of ratios are not exact: 1 − (19/20)(18/19) is a hair under 0.1. */
const EPSILON = 1e-9;

/** Smallest integer t in (0, known] with F(t) ≥ p, by bisection (F is non-decreasing). */
function quantile(m: DrainModel, atAge: readonly number[], p: number, known: number): Quantile {
  if (known < 1 || emptyBy(m, atAge, known) < p - EPSILON) return { at: null, laterThan: m.now + known };
  let lo = 0; // F(0) = 0 < p: every session is open now
  let hi = known;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (emptyBy(m, atAge, mid) >= p - EPSILON) hi = mid;
    else lo = mid;
  }
  return { at: m.now + hi, laterThan: null };
}
