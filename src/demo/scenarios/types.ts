/**
 * A release scenario: what one strategy's demo asks of the control plane and how it reads the
 * result. Scenarios talk to Handoff only through its public HTTP API, as an operator's script
 * would, so they do not depend on how the control plane models a rollout inside.
 *
 * Rollouts are read as loose JSON records (`RolloutRecord`): the rollout view is being reshaped
 * per strategy (issue 6), and the demo only needs a few named fields, read defensively.
 */
import type { DemoStrategy } from '../options.js';
import type { PlayerStats } from '../player-stats.js';

export type RolloutRecord = Readonly<Record<string, unknown>>;

/** What a scenario knows about the demo when it builds its release request. */
export interface ReleaseEnv {
  fleet: string;
  fromBuild: string;
  toBuild: string;
  /** The simulated players' ids, for cohort and segment rules. */
  playerIds: readonly string[];
  /** Wall-clock ms when the request is built (maintenance windows are scheduled from it). */
  now: number;
}

/** The public API as the demo uses it; a refused request throws `ApiError`. */
export interface DemoApi {
  call(method: 'GET' | 'POST', route: string, body?: unknown): Promise<RolloutRecord>;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/** One look at the fleet while the release runs. */
export interface TraceSample {
  at: number;
  phase: string;
  /** Routing weight per build (share of new sessions, 0-100). */
  weights: Record<string, number>;
  /** Live (not Stopped) servers per build and state. */
  servers: Record<string, Record<string, number>>;
}

export interface DriveContext {
  api: DemoApi;
  rolloutId: string;
  env: ReleaseEnv;
  /** A progress line for the viewer. */
  say(line: string): void;
  now(): number;
}

/** A session as the figures read it (the control plane's record). */
export interface SessionFact {
  playerId: string;
  build: string;
  openedAt: number;
  closedAt: number | null;
  closeReason: string | null;
}

export interface FigureInput {
  env: ReleaseEnv;
  /** The rollout as last read. */
  rollout: RolloutRecord;
  trace: readonly TraceSample[];
  sessions: readonly SessionFact[];
  players: PlayerStats;
  /** When the release request was accepted. */
  startedAt: number;
}

/** One of the strategy's own figures: `value` goes to the JSON summary, `text` to the printed one. */
export interface Figure {
  key: string;
  label: string;
  value: unknown;
  text: string;
}

export interface Scenario {
  strategy: DemoStrategy;
  /**
   * False while the strategy is not in this tree's control plane yet (issue 6 lands them one by
   * one): the request shape is the demo's best reading of the issue, to be aligned on merge.
   */
  landed: boolean;
  /** Printed when the release starts. */
  headline: string;
  /** The body of `POST /v1/rollouts`. Pure. */
  request(env: ReleaseEnv): Record<string, unknown>;
  /** How long the demo waits for the release to end, from its start. */
  timeoutMs(env: ReleaseEnv): number;
  /**
   * Called on every poll while the release runs, with the rollout and what was seen so far: sends
   * what an operator would (promote a paused canary, choose the A/B variant). Scenarios are made
   * per run, so they may remember what they already did.
   */
  step?(ctx: DriveContext, rollout: RolloutRecord, trace: readonly TraceSample[]): Promise<void>;
  /** The strategy's own figures for the summary. Pure. */
  figures(input: FigureInput): Figure[];
  /**
   * Whether the release ended as this scenario means it to (default: Completed), and if not, why.
   * A faulty build's scenario passes only when the release was rolled back. Pure.
   */
  releaseEnd?(rollout: RolloutRecord): { ok: boolean; problem: string };
  /** How long to let the fleet settle after the release ends before the summary is taken (default 0). */
  settleMs?: number;
}
