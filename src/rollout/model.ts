/**
 * Releases. A rollout moves a fleet from one build to another under a strategy. Strategies
 * are pure planners (see `plan-blue-green.ts`); the spec below is a discriminated union so
 * siblings (rolling, canary, A/B) are additions.
 */
export const RolloutPhases = [
  'Provisioning', // starting servers of the new build
  'Verifying', // running the smoke check against one new server
  'AwaitingPromotion', // ready and verified; waiting for `promote` (autoPromote off)
  'Draining', // switched: new sessions go to the new build, the old build empties
  'Completed',
  'Aborted',
  'Failed',
] as const;
export type RolloutPhase = (typeof RolloutPhases)[number];

export const TerminalRolloutPhases: readonly RolloutPhase[] = ['Completed', 'Aborted', 'Failed'];

export type SmokeCheck =
  | { kind: 'http'; port: string; path: string; expectStatus: number; timeoutSeconds: number }
  | { kind: 'command'; command: string[]; timeoutSeconds: number };

export interface DrainDeadline {
  /** Seconds after the switch at which sessions still on the old build are closed as `migrated`. */
  deadlineSeconds: number;
  /** Seconds before the deadline at which old servers get a drain notice through the SDK. */
  noticeLeadSeconds: number;
}

export interface BlueGreenSpec {
  strategy: 'blue-green';
  autoPromote: boolean;
  smoke: SmokeCheck | null;
  drain: DrainDeadline | null;
  /** How long an emptied old-build server idles before it is stopped; null = the fleet's idle time. */
  oldIdleSeconds: number | null;
  /** Give up when the new build is not Ready within this time. */
  readyTimeoutSeconds: number;
  /** Give up when this many new-build servers fail to start (crash-loop guard). */
  maxStartFailures: number;
}

export type RolloutSpec = BlueGreenSpec;
export type RolloutStrategy = RolloutSpec['strategy'];

export const SmokeStates = ['running', 'passed', 'failed'] as const;
export type SmokeState = (typeof SmokeStates)[number];

export interface SmokeResult {
  state: SmokeState;
  serverId: string;
  startedAt: number;
  finishedAt: number | null;
  detail: string;
}

export interface Rollout {
  id: string;
  fleet: string;
  fromBuild: string;
  toBuild: string;
  spec: RolloutSpec;
  phase: RolloutPhase;
  /** Human-readable account of the current phase, e.g. why it failed. */
  message: string;
  /** Servers of the new build to have Ready before the switch. */
  targetServers: number;
  /** New-build servers that crashed or failed to become Ready. */
  startFailures: number;
  /** The most recent start failure of a new-build server (exit code, log file), for operators. */
  lastFailure: string | null;
  smoke: SmokeResult | null;
  createdAt: number;
  updatedAt: number;
  /** All target servers Ready. */
  readyAt: number | null;
  promotedAt: number | null;
  switchedAt: number | null;
  drainNoticeAt: number | null;
  migratedAt: number | null;
  completedAt: number | null;
  abortedAt: number | null;
  failedAt: number | null;
}

export function isTerminalPhase(phase: RolloutPhase): boolean {
  return TerminalRolloutPhases.includes(phase);
}
