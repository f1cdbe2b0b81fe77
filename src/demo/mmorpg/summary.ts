/**
 * The MMORPG demo's summary: one block per service (the arena demo's session summary for each
 * fleet with players, the charges for payments), then the plan and one verdict. Pure.
 */
import type { SessionTally } from '../decide-session.js';
import type { PlayerStats } from '../player-stats.js';
import { formatSummary, summarize, summaryJson, type DemoSummary } from '../summary.js';
import type { PaymentsStats } from './payments-client.js';

export interface PlanStep {
  name: string;
  fleet: string;
  strategy: string;
  build: string;
  phase: string;
  message: string;
  rolloutId: string | null;
}

export interface MmorpgInput {
  plan: { name: string; phase: string; message: string; completionOrder: string[]; steps: PlanStep[] };
  timedOut: boolean;
  /** Per fleet with players: what the sessions were and what the players saw. */
  services: { fleet: string; tally: SessionTally; players: PlayerStats }[];
  payments: { fleet: string; stats: PaymentsStats } | null;
}

export interface MmorpgSummary {
  plan: MmorpgInput['plan'] & { timedOut: boolean };
  services: DemoSummary[];
  payments: (PaymentsStats & { fleet: string; step: PlanStep | null }) | null;
  interruptedWithoutNotice: number;
  passed: boolean;
}

export function summarizeMmorpg(i: MmorpgInput): MmorpgSummary {
  const stepOf = (fleet: string): PlanStep | null => i.plan.steps.find((s) => s.fleet === fleet) ?? null;
  const services = i.services.map(({ fleet, tally, players }) => {
    const step = stepOf(fleet);
    return summarize({
      strategy: `${fleet} (${step?.strategy ?? 'no step'} → ${step?.build ?? '-'})`,
      // A fleet's release is its step: the step's phase says whether the plan got it done.
      rollout: { id: step?.rolloutId ?? '', phase: step?.phase ?? 'none', message: step?.message ?? '' },
      timedOut: i.timedOut, tally, players, figures: [],
    });
  });
  const interrupted = services.reduce((n, s) => n + s.interruptedWithoutNotice, 0);
  const payments = i.payments ? { ...i.payments.stats, fleet: i.payments.fleet, step: stepOf(i.payments.fleet) } : null;
  const passed = i.plan.phase === 'Completed' && !i.timedOut && interrupted === 0 && services.every((s) => s.passed) && (payments?.failed ?? 0) === 0;
  return { plan: { ...i.plan, timedOut: i.timedOut }, services, payments, interruptedWithoutNotice: interrupted, passed };
}

export function formatMmorpg(s: MmorpgSummary): string {
  const blocks = s.services.map((x) => formatSummary(x).split('\n').filter((l) => !l.startsWith('result ')).join('\n'));
  if (s.payments) {
    const p = s.payments;
    const versions = Object.entries(p.byVersion).sort(([a], [b]) => a.localeCompare(b)).map(([v, n]) => `${v}=${n}`).join(', ') || 'none';
    const line = (label: string, text: string | number): string => `${label.padEnd(26)} ${text}`;
    blocks.push([
      `── release summary: ${p.fleet} (${p.step?.strategy ?? 'no step'} → ${p.step?.build ?? '-'}) ${'─'.repeat(8)}`,
      line('rollout', `${p.step?.phase ?? 'none'}: ${p.step?.message ?? ''}`),
      line('charges answered', `${p.ok} (by version: ${versions})`),
      line('retried on a fresh list', p.retried),
      line('failed', p.failed),
      line('endpoint lists received', p.endpointVersions),
    ].join('\n'));
  }
  const order = s.plan.completionOrder.join(' → ') || 'none';
  const end = s.plan.timedOut ? ' (did not end in time)' : '';
  blocks.push([
    `── release plan ${s.plan.name} ${'─'.repeat(20)}`,
    `${'plan'.padEnd(26)} ${s.plan.phase}: ${s.plan.message}${end}`,
    `${'completed in order'.padEnd(26)} ${order}`,
    `${'interrupted without notice'.padEnd(26)} ${s.interruptedWithoutNotice}`,
    `${'result'.padEnd(26)} ${s.passed ? 'PASS: every service released, no player disconnected without notice, no charge lost' : `FAIL: ${failure(s)}`}`,
  ].join('\n'));
  return blocks.join('\n\n');
}

function failure(s: MmorpgSummary): string {
  if (s.interruptedWithoutNotice > 0) return 'players were disconnected without notice';
  if ((s.payments?.failed ?? 0) > 0) return 'charges failed';
  return 'the plan did not complete';
}

export function mmorpgJson(s: MmorpgSummary): Record<string, unknown> {
  return { ...s, services: s.services.map(summaryJson) };
}
