/**
 * The experiment's report: baseline vs during vs after, the verdict and what broke, whether the
 * fault was lifted. Pure: built from the machine's final state and what the runner recorded.
 */
import { measure } from './judge.js';
import type { MachineState } from './machine.js';
import type { AllocationSample, Experiment, Hypothesis, Interruption, Measurement, Verdict } from './model.js';

export interface ExperimentReport {
  experiment: string;
  fault: string;
  blastRadius: string[];
  hypothesis: Hypothesis;
  verdict: Verdict;
  /** Whether the fault was lifted; null when nothing was injected. */
  restored: boolean | null;
  restoreError: string | null;
  /** Each phase's measurement; null for a phase the run never reached. */
  baseline: Measurement;
  during: Measurement | null;
  after: Measurement | null;
  /** Phase boundaries, ms since the start. */
  timeline: { injectedAt: number | null; restoreAt: number | null; restoredAt: number | null; endedAt: number };
  /** Entries the control plane's event log took, and the ones it refused (e.g. while its database was cut off). */
  recorded: number;
  recordErrors: string[];
}

export function buildReport(exp: Experiment, state: MachineState, samples: readonly AllocationSample[], interruptions: readonly Interruption[], extra: { blastRadius: string[]; recorded: number; recordErrors: string[] }): ExperimentReport {
  const m = state.marks;
  const end = m.endedAt ?? m.startedAt;
  const rel = (t: number | null): number | null => (t === null ? null : t - m.startedAt);
  return {
    experiment: exp.name,
    fault: exp.fault.type,
    blastRadius: extra.blastRadius,
    hypothesis: exp.hypothesis,
    verdict: state.outcome ?? { verdict: 'aborted', reason: 'the run did not finish', breaches: [] },
    restored: state.restored,
    restoreError: state.restoreError,
    baseline: measure(samples, interruptions, m.startedAt, m.injectedAt ?? end),
    during: m.injectedAt === null ? null : measure(samples, interruptions, m.injectedAt, m.restoreAt ?? end),
    after: m.restoredAt === null ? null : measure(samples, interruptions, m.restoredAt, end),
    timeline: { injectedAt: rel(m.injectedAt), restoreAt: rel(m.restoreAt), restoredAt: rel(m.restoredAt), endedAt: end - m.startedAt },
    recorded: extra.recorded,
    recordErrors: extra.recordErrors,
  };
}

const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(2)} %`);

function row(name: string, m: Measurement | null): string {
  if (m === null) return `${name.padEnd(10)} (not reached)`;
  const errs = Object.entries(m.errors).map(([c, n]) => `${c} ${n}`).join(', ');
  return `${name.padEnd(10)} ${String(m.answered).padStart(6)}  ${pct(m.allocationSuccess).padStart(9)}  ${(m.p99LatencyMs === null ? '—' : `${m.p99LatencyMs} ms`).padStart(10)}  ${String(m.sessionsInterrupted).padStart(11)}  ${errs}`;
}

export function renderReport(r: ExperimentReport): string {
  const v = r.verdict;
  const verdict = v.verdict === 'held' ? 'held: the steady state survived the fault'
    : v.verdict === 'broken' ? `broken (${v.phase === 'observe' ? 'while the fault was on; the experiment aborted itself' : 'after restoration'}): ${v.breaches.map((b) => `${b.check} ${b.observed}, limit ${b.limit}`).join('; ')}`
      : `aborted: ${v.reason}`;
  const lines = [
    `experiment   ${r.experiment} (${r.fault})`,
    ...r.blastRadius.map((b, i) => `${i === 0 ? 'blast radius' : '            '} ${b}`),
    `verdict      ${verdict}`,
    `restored     ${r.restored === null ? 'nothing was injected' : r.restored ? 'yes' : `NO: ${r.restoreError ?? 'unknown'}`}`,
    '',
    'phase      answered    success         p99  interrupted  errors',
    row('baseline', r.baseline),
    row('during', r.during),
    row('after', r.after),
    '',
    `timeline     injected ${r.timeline.injectedAt ?? '—'} ms, lifted ${r.timeline.restoreAt ?? '—'} ms, restored ${r.timeline.restoredAt ?? '—'} ms, ended ${r.timeline.endedAt} ms`,
    `event log    ${r.recorded} chaos.* events recorded${r.recordErrors.length === 0 ? '' : `; ${r.recordErrors.length} refused (${r.recordErrors[0] ?? ''})`}`,
  ];
  return lines.join('\n');
}
