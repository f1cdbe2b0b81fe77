/**
 * Canary of a faulty build (`--faulty-build`): v2 crashes after some sessions start, ends others
 * in error and ticks slowly (see `FAULTY_ARGS` in ../scenario.ts). The release gives it 30 % of
 * new sessions, then an analysis step judges it against v1 over the same 20 s window; the
 * verdict must fail and roll the release back by itself — no operator acts in this scenario.
 * It passes only when that happened, with nobody interrupted without notice.
 */
import { between, duration, num, phaseOf } from './figures.js';
import type { Figure, RolloutRecord, Scenario, SessionFact } from './types.js';

export const FAULTY_WINDOW_SECONDS = 20;

/** The analysis the canary must pass: each of v2's faults alone fails one of these metrics. */
export const FAULTY_ANALYSIS = {
  windowSeconds: FAULTY_WINDOW_SECONDS,
  metrics: [
    { metric: 'crash_rate', max: 0.1, minSamples: 3 },
    { metric: 'abnormal_close_rate', max: 0.05, compare: 'auto', minSamples: 10 },
    { metric: 'custom.tick_ms', max: 20, compare: 'auto' },
  ],
};

interface StoredVerdict {
  step: string;
  verdict: string;
  result: { metrics: { metric: string; verdict: string; canary: { n: number; value: number | null }; baseline: { n: number; value: number | null }; test?: { name: string; pValue: number } | null }[] };
}

/** The rollout's stored verdicts (`analyses` of the API's rollout view), read defensively. */
export function verdictsOf(r: RolloutRecord): StoredVerdict[] {
  const a = r['analyses'];
  return Array.isArray(a) ? (a as StoredVerdict[]).filter((v) => typeof v === 'object' && v !== null && typeof v.verdict === 'string') : [];
}

/** Rolled back by its analysis: Failed, and the last stored verdict is a fail. */
export function rolledBack(r: RolloutRecord): { ok: boolean; problem: string } {
  const last = verdictsOf(r).at(-1);
  if (phaseOf(r) === 'Failed' && last?.verdict === 'fail') return { ok: true, problem: '' };
  const why = last ? `its last analysis said ${last.verdict}` : 'no analysis verdict was stored';
  return { ok: false, problem: `the faulty build was not rolled back by its analysis (phase ${phaseOf(r)}; ${why})` };
}

/** `crash_rate fail: canary 0.6 (n 5), baseline 0 (n 4)` for each metric of the last verdict. */
export function verdictText(v: StoredVerdict): string {
  const n = (x: number | null): string => (x === null ? '-' : String(Number(x.toPrecision(3))));
  const metrics = v.result.metrics.map((m) => {
    const test = m.test ? `, ${m.test.name} p ${n(m.test.pValue)}` : '';
    return `${m.metric} ${m.verdict}: canary ${n(m.canary.value)} (n ${m.canary.n}), baseline ${n(m.baseline.value)} (n ${m.baseline.n})${test}`;
  });
  return `${v.verdict.toUpperCase()} at ${v.step} — ${metrics.join('; ')}`;
}

const CRASH_REASONS = new Set(['server_crashed', 'error']);

/** Sessions of `build` lost to its own faults (a crashed process, or the game ending them in error). */
export function lostToFaults(sessions: readonly SessionFact[], build: string): { crashed: number; endedInError: number } {
  const own = sessions.filter((s) => s.build === build && s.closeReason !== null && CRASH_REASONS.has(s.closeReason));
  return { crashed: own.filter((s) => s.closeReason === 'server_crashed').length, endedInError: own.filter((s) => s.closeReason === 'error').length };
}

export function faultyCanaryScenario(): Scenario {
  return {
    strategy: 'canary',
    landed: true,
    headline: `faulty canary: 30% of new sessions to a v2 that crashes, ends sessions in error and ticks slowly; analysis over ${FAULTY_WINDOW_SECONDS} s must roll it back`,
    request: (env) => ({
      fleet: env.fleet, build: env.toBuild, strategy: 'canary',
      steps: [{ setWeight: 30 }, { analysis: { metrics: FAULTY_ANALYSIS } }, { setWeight: 100 }],
      oldIdleSeconds: 2,
      // Crashes after Ready are the analysis's to judge; only crash-looping starts end it early.
      maxStartFailures: 10,
    }),
    timeoutMs: () => 180_000,
    // Faults strike one tick after a session starts; none start on v2 once the rollback re-routed.
    settleMs: 2_000,
    releaseEnd: rolledBack,
    figures: ({ env, rollout, sessions, startedAt }): Figure[] => {
      const last = verdictsOf(rollout).at(-1);
      const failedAt = num(rollout, 'failedAt');
      const lost = lostToFaults(sessions, env.toBuild);
      const after = failedAt === null ? [] : sessions.filter((s) => s.openedAt > failedAt);
      const afterOnFaulty = after.filter((s) => s.build === env.toBuild).length;
      return [
        { key: 'verdict', label: 'analysis verdict', value: last ?? null, text: last ? verdictText(last) : 'none stored' },
        {
          key: 'rolledBack', label: 'rolled back', value: rolledBack(rollout).ok,
          text: rolledBack(rollout).ok ? `yes, by the verdict, ${duration(between(startedAt, failedAt))} after the release started; new sessions back on ${env.fromBuild}` : 'no',
        },
        {
          key: 'lostToFaultyBuild', label: `lost to ${env.toBuild} faults`, value: lost,
          text: `${lost.crashed} in its crashes, ${lost.endedInError} ended in error by the game (counted above as lost to server crashes)`,
        },
        { key: 'newSessionsOnFaultyAfterRollback', label: 'after the rollback', value: { sessions: after.length, onFaulty: afterOnFaulty }, text: `${afterOnFaulty} of ${after.length} new sessions went to ${env.toBuild}` },
      ];
    },
  };
}
