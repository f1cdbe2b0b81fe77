/**
 * Background analysis: a repeating check of a release's new build against the build it replaces,
 * every `intervalSeconds` from the release's start until it ends, whatever its strategy. It is a
 * plug-in beside the strategies, not part of any: the spec field is common to every release, the
 * decisions here are pure (`now` is a parameter) and the rollout service runs the checks.
 *
 * Why a field of its own (`backgroundAnalysis`) and not `analysis.background`: blue-green and
 * rolling already own an `analysis` option with their own shape (pre/post-switch, per batch).
 */
import { z } from 'zod';
import type { Verdict } from '../analysis/judge/model.js';
import { analysisSpecFields, validateAnalysis, withAnalysisChecks } from '../analysis/spec.js';
import { InconclusivePolicies, type BackgroundAnalysis, type BackgroundState, type CommonRolloutSpec, type InconclusivePolicy, type Window } from './background-model.js';
import { isTerminalPhase, type Rollout, type RolloutPhase } from './model.js';

export type { BackgroundAnalysis, BackgroundState, CommonRolloutSpec, InconclusivePolicy, Window };

export const BackgroundAnalysisSchema = withAnalysisChecks(
  z.strictObject({
    ...analysisSpecFields,
    intervalSeconds: z.number().int().min(10).max(86_400).default(60),
    onInconclusive: z.enum(InconclusivePolicies).default('continue'),
  }),
) satisfies z.ZodType<BackgroundAnalysis, unknown>;

/**
 * The common options as request fields: the API and manifests add them to each strategy's.
 * Optional, not defaulted: a request without one parses to the spec it did before, so
 * re-applying an unchanged `kind: Rollout` manifest stays a no-op across the upgrade.
 */
export const commonRolloutOptions = {
  backgroundAnalysis: BackgroundAnalysisSchema.nullable().optional(),
};

/** Refuses a background analysis on a metric Handoff does not collect (ANALYSIS_UNKNOWN_METRIC). */
export function validateBackground(spec: CommonRolloutSpec): void {
  if (spec.backgroundAnalysis) validateAnalysis(spec.backgroundAnalysis);
}


type Subject = Pick<Rollout, 'phase' | 'createdAt' | 'background'> & { spec: CommonRolloutSpec };

export type BackgroundStep =
  | { kind: 'idle' }
  /** Start a check over `window`; store `state` first. */
  | { kind: 'run'; window: Window; state: BackgroundState }
  /** A check stored as running that no one runs (the control plane restarted): run it again. */
  | { kind: 'rerun'; window: Window };

/**
 * Whether a background check is due. It runs only where an abort means something: in phases
 * the strategy can abort, and not while a release waits for its scheduled start (nothing of it
 * has happened yet). `inFlight`: this process is running the stored check.
 */
export function decideBackgroundCheck(r: Subject, abortable: readonly RolloutPhase[], inFlight: boolean, now: number): BackgroundStep {
  const spec = r.spec.backgroundAnalysis;
  if (!spec || r.phase === 'Scheduled' || !abortable.includes(r.phase)) return { kind: 'idle' };
  const state = r.background ?? initialState(r.createdAt, spec);
  if (state.running) return inFlight ? { kind: 'idle' } : { kind: 'rerun', window: state.running };
  if (now < state.nextAt) return { kind: 'idle' };
  // The window ends now: the samples are all in, so the check is judged at once.
  const window = { since: Math.max(r.createdAt, now - spec.windowSeconds * 1000), until: now };
  return { kind: 'run', window, state: { ...state, running: window, nextAt: now + spec.intervalSeconds * 1000 } };
}

function initialState(createdAt: number, spec: BackgroundAnalysis): BackgroundState {
  return { nextAt: createdAt + spec.intervalSeconds * 1000, running: null, runs: 0, heldAt: null };
}

export type BackgroundOutcome =
  /** A verdict for a window the release no longer runs (it ended, or a stale run): change nothing. */
  | { kind: 'stale' }
  | { kind: 'record'; state: BackgroundState; label: string }
  /** Inconclusive under `pause`: hold the release for a person. */
  | { kind: 'hold'; state: BackgroundState; label: string; message: string }
  /** Fail: abort the release as a failed analysis step does. */
  | { kind: 'abort'; state: BackgroundState; label: string; message: string };

/**
 * What a background verdict means for the release. `summary`: the verdict with its reasons.
 * A fail that lands once the release has left the phases its strategy can abort (it moved on
 * while the check ran) is recorded only: there is nothing left to roll back through an abort.
 */
export function decideBackgroundVerdict(r: Subject, abortable: readonly RolloutPhase[], window: Window, verdict: Verdict, summary: string, now: number): BackgroundOutcome {
  const spec = r.spec.backgroundAnalysis;
  const state = r.background;
  if (!spec || !state?.running || state.running.since !== window.since || state.running.until !== window.until) return { kind: 'stale' };
  if (isTerminalPhase(r.phase)) return { kind: 'stale' };
  const label = `background #${state.runs + 1}`;
  const next: BackgroundState = { ...state, running: null, runs: state.runs + 1 };
  if (verdict === 'fail' && abortable.includes(r.phase)) return { kind: 'abort', state: next, label, message: `${label} analysis failed: ${summary}` };
  if (verdict === 'inconclusive' && spec.onInconclusive === 'pause' && state.heldAt === null) {
    return { kind: 'hold', state: { ...next, heldAt: now }, label, message: `paused: ${label} analysis inconclusive: ${summary} Promote to continue, abort to roll back.` };
  }
  return { kind: 'record', state: next, label };
}

/** True while a background verdict holds the release: its strategy does not move it on. */
export function isHeld(r: Pick<Rollout, 'background'>): boolean {
  return (r.background?.heldAt ?? null) !== null;
}

/** `promote` on a held release: the hold ends and the strategy carries on where it was. */
export function releaseHold(r: Pick<Rollout, 'background'>): Partial<Rollout> {
  if (!r.background) return {};
  return { background: { ...r.background, heldAt: null }, message: 'resumed by operator after an inconclusive background analysis' };
}
