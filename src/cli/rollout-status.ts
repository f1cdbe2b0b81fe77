/**
 * The text of `handoff rollout status`: where the rollout is, what each build holds, and how
 * long each step took. Pure; `now` is passed in so redraws and tests agree.
 */
import { ServerStates } from '../fleet/model.js';
import { isTerminalPhase } from '../rollout/model.js';
import { nextStep, renderFigures } from './rollout-figures.js';
import { formatCounts, formatDuration, renderTable } from './table.js';
import type { RolloutView } from './views.js';

export function renderRolloutStatus(r: RolloutView, now: number): string {
  const lines = [
    `rollout  ${r.id}  fleet ${r.fleet}  ${r.fromBuild} → ${r.toBuild}  (${r.strategy})`,
    `phase    ${r.phase}${r.message ? `: ${r.message}` : ''}`,
    `target   ${r.targetServers} ${r.toBuild} server${r.targetServers === 1 ? '' : 's'} ready before the switch; ` +
      `${r.startFailures} failed start${r.startFailures === 1 ? '' : 's'}`,
  ];
  if (r.smoke) {
    const took = r.smoke.finishedAt === null ? '' : ` in ${formatDuration(r.smoke.finishedAt - r.smoke.startedAt)}`;
    lines.push(`smoke    ${r.smoke.state} on ${r.smoke.serverId}${took}${r.smoke.detail ? `: ${r.smoke.detail}` : ''}`);
  }
  lines.push(`timings  ${renderTimings(r, now)}`);
  const next = nextStep(r);
  if (next) lines.push(`next     ${next}`);
  lines.push('', renderBuildTable(r));
  const figures = renderFigures(r);
  if (figures) lines.push('', figures);
  return lines.join('\n');
}

/** One row per build; the rollout's own two builds first, in from → to order. */
export function renderBuildTable(r: RolloutView): string {
  const builds = Object.entries(r.progress.builds).sort(
    ([a], [b]) => buildRank(r, a) - buildRank(r, b) || a.localeCompare(b),
  );
  return renderTable(
    ['BUILD', 'WEIGHT', 'SERVERS', 'SESSIONS'],
    builds.map(([build, p]) => [build, String(p.weight), formatCounts(p.servers, ServerStates), String(p.sessions)]),
  );
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
