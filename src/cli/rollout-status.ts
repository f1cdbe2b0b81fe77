/**
 * The text of `handoff rollout status`: where the rollout is, what each build holds, and how
 * long each step took. Pure; `now` is passed in so redraws and tests agree.
 */
import { ServerStates } from '../fleet/model.js';
import { isTerminalPhase } from '../rollout/model.js';
import { renderAnalyses } from './rollout-analyses.js';
import { nextStep, renderFigures } from './rollout-figures.js';
import { formatCounts, formatDuration, renderTable } from './table.js';
import type { RolloutView } from './views.js';

/** The drain forecast of one build, as `GET /v1/fleets/{name}/forecast` answers it (only the fields shown). */
export interface DrainForecast {
  build: string;
  now: number;
  status: string;
  reason: string | null;
  openSessions: number;
  emptyAt: { p10: Quantile; p50: Quantile; p90: Quantile } | null;
}
type Quantile = { at: number | null; laterThan: number | null };

export function renderRolloutStatus(r: RolloutView, now: number, forecasts: readonly DrainForecast[] = []): string {
  const failed = `${r.startFailures} failed start${r.startFailures === 1 ? '' : 's'}`;
  const lines = [
    `rollout  ${r.id}  fleet ${r.fleet}  ${r.fromBuild} → ${r.toBuild}  (${r.strategy})`,
    `phase    ${r.phase}${r.message ? `: ${r.message}` : ''}`,
    renderBatches(r, failed) ??
      `target   ${r.targetServers} ${r.toBuild} server${r.targetServers === 1 ? '' : 's'} ready before the switch; ${failed}`,
  ];
  if (r.smoke) {
    const took = r.smoke.finishedAt === null ? '' : ` in ${formatDuration(r.smoke.finishedAt - r.smoke.startedAt)}`;
    // A metrics analysis is about builds, not one server (its serverId is empty).
    const head = r.smoke.serverId ? `smoke    ${r.smoke.state} on ${r.smoke.serverId}` : `check    ${r.smoke.state}`;
    lines.push(`${head}${took}${r.smoke.detail ? `: ${r.smoke.detail}` : ''}`);
  }
  const background = renderBackground(r, now);
  if (background) lines.push(`backgrnd ${background}`);
  lines.push(`timings  ${renderTimings(r, now)}`);
  // Rolling releases and A/B tests render their own figures (batches, variants) below.
  const progress = r.strategy === 'rolling' || r.strategy === 'ab-test' ? '' : renderProgress(r.progressState ?? {});
  if (progress) lines.push(`progress ${progress}`);
  if (r.supersededBy) lines.push(`next     superseded by ${r.supersededBy}; its builds keep draining beside the newer release`);
  for (const f of forecasts) lines.push(`forecast ${renderForecast(f)}`);
  const next = nextStep(r);
  if (next) lines.push(`next     ${next}`);
  if (r.analyses.length > 0) lines.push('', renderAnalyses(r));
  lines.push('', renderBuildTable(r));
  const figures = renderFigures(r);
  if (figures) lines.push('', figures);
  return lines.join('\n');
}

/**
 * The background analysis's schedule, e.g. `every 60s over 5m; 3 checks; next in 12s` or
 * `...; HELD by an inconclusive verdict since 30s`. Null without one.
 */
export function renderBackground(r: Pick<RolloutView, 'background' | 'spec' | 'phase'>, now: number): string | null {
  const b = r.background;
  const spec = r.spec['backgroundAnalysis'] as { intervalSeconds?: number; windowSeconds?: number } | null | undefined;
  if (!b || !spec) return null;
  const parts = [`every ${formatDuration((spec.intervalSeconds ?? 0) * 1000)} over ${formatDuration((spec.windowSeconds ?? 0) * 1000)}`, `${b.runs} check${b.runs === 1 ? '' : 's'}`];
  if (b.running) parts.push('one running');
  else if (!isTerminalPhase(r.phase)) parts.push(b.nextAt > now ? `next in ${formatDuration(b.nextAt - now)}` : 'next due now');
  if (b.heldAt !== null) parts.push(`HELD by an inconclusive verdict for ${formatDuration(Math.max(0, now - b.heldAt))}`);
  return parts.join('; ');
}

/**
 * A rolling release's batches from its progress figures, e.g.
 * `batches  2/4 (1 server each): 1/4 replaced; in rotation 1 arena-2, 2 arena-1; 1 arena-1 emptying; 0 failed starts`.
 * Null for other strategies.
 */
export function renderBatches(r: RolloutView, failed: string): string | null {
  const p = r.progressState;
  const n = (k: string): number => (typeof p[k] === 'number' ? p[k] : 0);
  if (r.strategy !== 'rolling' || typeof p.batches !== 'number') return null;
  const parts = [
    `${n('batch')}/${n('batches')} (${n('batchSize')} server${n('batchSize') === 1 ? '' : 's'} each): ${n('replaced')}/${r.targetServers} replaced`,
    `in rotation ${n('inRotation')} ${r.toBuild}, ${n('oldInRotation')} ${r.fromBuild}`,
  ];
  if (n('outOfRotation') > 0) parts.push(`${n('outOfRotation')} ${r.fromBuild} emptying`);
  return `batches  ${[...parts, failed].join('; ')}`;
}

/** One row per build; the rollout's own two builds first, in from → to order. */
export function renderBuildTable(r: RolloutView): string {
  const builds = Object.entries(r.progress.builds).sort(
    ([a], [b]) => buildRank(r, a) - buildRank(r, b) || a.localeCompare(b),
  );
  return renderTable(
    ['BUILD', 'WEIGHT', 'SERVERS', 'SESSIONS'],
    [
      ...builds.map(([build, p]) => [build, String(p.weight), formatCounts(p.servers, ServerStates), String(p.sessions)]),
      // Builds of superseded releases, still hosting players beside this one.
      ...(r.progress.draining ?? []).map((d) => [`${d.build} (draining)`, '0', `${d.servers} server${d.servers === 1 ? '' : 's'}`, String(d.sessions)]),
    ],
  );
}

/** A strategy's own figures, `key value` pairs in the order it reports them. */
export function renderProgress(state: Record<string, unknown>): string {
  return Object.entries(state)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k} ${String(v)}`)
    .join('  ');
}

/** `v1: 3 sessions; empty in ~12m (10–90 %: 4m–31m)`, or why there is no estimate. */
export function renderForecast(f: DrainForecast): string {
  const at = (q: Quantile): string =>
    q.at !== null ? formatDuration(Math.max(0, q.at - f.now)) : q.laterThan !== null ? `>${formatDuration(Math.max(0, q.laterThan - f.now))}` : '?';
  const head = `${f.build}: ${f.openSessions} session${f.openSessions === 1 ? '' : 's'}`;
  if (f.status === 'empty') return `${f.build}: empty`;
  if (!f.emptyAt) return `${head}; no estimate yet (${f.reason ?? f.status})`;
  return `${head}; empty in ~${at(f.emptyAt.p50)} (10–90 %: ${at(f.emptyAt.p10)}–${at(f.emptyAt.p90)})`;
}

function buildRank(r: RolloutView, build: string): number {
  if (build === r.fromBuild) return 0;
  if (build === r.toBuild) return 1;
  return 2;
}

/**
 * The release's steps as spans: created→ready (servers up), ready→switch (smoke check and
 * promotion), switch→completed (old build draining). A step not reached yet shows as running
 * until the rollout ends, then as `-`.
 */
export function renderTimings(r: RolloutView, now: number): string {
  const ended = isTerminalPhase(r.phase);
  const span = (from: number | null, to: number | null): string => {
    if (from === null) return '-';
    if (to !== null) return formatDuration(to - from);
    return ended ? '-' : `${formatDuration(now - from)}…`;
  };
  const parts = [
    `created→ready ${span(r.createdAt, r.readyAt)}`,
    `ready→switch ${span(r.readyAt, r.switchedAt)}`,
    `switch→completed ${span(r.switchedAt, r.completedAt)}`,
  ];
  const stop = r.abortedAt ?? r.failedAt;
  if (stop !== null) parts.push(`${r.abortedAt !== null ? 'aborted' : 'failed'} after ${formatDuration(stop - r.createdAt)}`);
  return parts.join('  ');
}
