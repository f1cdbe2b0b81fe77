/**
 * The strategies the fake-clock simulation releases with, as data: one row per strategy and
 * option combination. A new strategy is a new row here (its request as `POST /v1/rollouts`
 * takes it), and the matrix runs it alone, aborted and restarted in each phase listed,
 * back to back, and aborted at a random moment.
 */
import type { StrategyRow } from './matrix.js';

const base = { strategy: 'blue-green', oldIdleSeconds: 30 };

export const rows: StrategyRow[] = [
  { name: 'blue-green', request: base, interruptIn: ['Provisioning', 'Draining'], settleInPhaseMs: { Draining: 30_000 } },
  { name: 'blue-green promoted by hand', request: { ...base, autoPromote: false }, interruptIn: ['AwaitingPromotion'], promote: { afterMs: 30_000 } },
  { name: 'blue-green with a smoke check', request: { ...base, smoke: { kind: 'command', command: ['sh', '-c', 'sleep 0.05'] } }, interruptIn: ['Verifying'] },
  {
    name: 'blue-green with a drain deadline',
    request: { ...base, drain: { deadlineSeconds: 90, noticeLeadSeconds: 30 } },
    interruptIn: ['Draining'], settleInPhaseMs: { Draining: 75_000 },
  },
  { name: 'rolling with no spare capacity', request: { strategy: 'rolling', maxSurge: 0, maxUnavailable: 1 }, interruptIn: ['Progressing'], routedIn: 'Progressing', settleInPhaseMs: { Progressing: 20_000 } },
  {
    name: 'canary in weight steps', request: { strategy: 'canary', steps: [{ setWeight: 25 }, { pause: { seconds: 30 } }, { setWeight: 100 }], oldIdleSeconds: 30 },
    // The first step routes 25 % and pauses: the release spends its time in Paused, then drains.
    interruptIn: ['Paused', 'Draining'], routedIn: 'Paused', settleInPhaseMs: { Paused: 10_000, Draining: 30_000 },
  },
  {
    // No room beside the old build: one old server leaves rotation and is replaced once empty.
    // The pause is long enough for back to back to land in it, while the old build still runs
    // the servers a second in-place release replaces (at 100 % it may be down to one).
    name: 'canary in place on a full fleet',
    request: { strategy: 'canary', servers: 'in-place', inPlaceServers: 1, steps: [{ setWeight: 25 }, { pause: { seconds: 90 } }, { setWeight: 100 }], oldIdleSeconds: 30 },
    interruptIn: ['Provisioning', 'Paused', 'Draining'], routedIn: 'Paused', settleInPhaseMs: { Paused: 10_000, Draining: 30_000 },
    scenario: { fleet: { minServers: 4, maxServers: 4, bufferServers: 0 } },
  },
  {
    name: 'ab-test ended by choosing a variant', request: { strategy: 'ab-test', variants: [{ name: 'A', build: '$current', weight: 50 }, { name: 'B', build: '$build', weight: 50 }], oldIdleSeconds: 30 },
    interruptIn: ['Progressing'], routedIn: 'Progressing', settleInPhaseMs: { Progressing: 10_000 }, promote: { afterMs: 40_000, input: { variant: 'B' } },
  },
  { name: 'dynamic-pool', request: { strategy: 'dynamic-pool', servers: 'match', oldIdleSeconds: 20 }, interruptIn: ['Provisioning', 'Progressing'], routedIn: 'Progressing', settleInPhaseMs: { Progressing: 10_000 } },
  {
    // Window a minute after the request, notice 30 s ahead, stragglers closed (announced) 30 s into it.
    name: 'maintenance window', request: { strategy: 'maintenance', startsAt: { $inMs: 60_000 }, durationSeconds: 120, noticeLeadSeconds: 30, sessionDeadlineSeconds: 30 },
    // Back to back: v2 while the reopened fleet hosts v1 and v0's stragglers have not reached the deadline.
    interruptIn: ['Scheduled', 'Progressing'], settleInPhaseMs: { Scheduled: 20_000 }, backToBackAfterMs: 5_000,
  },
  { name: 'blue-green whose smoke check fails', request: { ...base, smoke: { kind: 'command', command: ['sh', '-c', 'sleep 0.05; exit 1'] } }, interruptIn: ['Verifying'], outcome: 'Failed' },
];

/** Rows run only as a release (and a restart): situations rather than strategy options. */
export const situations: StrategyRow[] = [
  { name: 'blue-green of a build that crashes on boot', request: base, interruptIn: ['Provisioning'], outcome: 'Failed', scenario: { buildArgs: { v1: ['--sim-crash-at-start=1'] } } },
  { name: 'blue-green with parties following routing', request: base, interruptIn: ['Draining'], settleInPhaseMs: { Draining: 30_000 }, scenario: { fleet: { partyPolicy: 'follow-routing' } } },
  { name: 'blue-green while servers crash often', request: base, interruptIn: ['Draining'], settleInPhaseMs: { Draining: 30_000 }, scenario: { behaviour: { crashesPerHour: 20 } } },
  {
    // Stalls longer than the health timeout: servers turn Unhealthy (and empty ones are replaced) mid-release.
    name: 'blue-green while servers stall past their health timeout', request: base, interruptIn: ['Draining'], settleInPhaseMs: { Draining: 30_000 },
    scenario: { behaviour: { stallsPerHour: 6, stallMs: 20_000 } },
  },
  {
    // Heavy-tailed MMO sessions: the old build would take hours to empty; the deadline migrates the rest, announced.
    name: 'blue-green of an MMO with a drain deadline', request: { ...base, drain: { deadlineSeconds: 300, noticeLeadSeconds: 60 } },
    interruptIn: ['Draining'], settleInPhaseMs: { Draining: 280_000 },
    scenario: { workload: { arrivalsPerSecond: 0.1, sessionMedianSeconds: 600, sessionSigma: 1, maxSessionSeconds: 1_800 }, arrivalsForMs: 600_000, stepMs: 1_000 },
  },
];
