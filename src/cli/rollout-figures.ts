/**
 * The parts of `handoff rollout status` that canaries and A/B tests add: per-variant session
 * figures (from `progressState.figures`) and what the operator can do next. Pure.
 */
import { formatDuration, renderTable } from './table.js';
import { isTerminalPhase } from '../rollout/model.js';
import type { RolloutView } from './views.js';

interface FigureRow {
  name: string;
  build: string;
  sessions: number;
  open: number;
  meanSeconds: number | null;
  medianSeconds: number | null;
  abnormalCloses: number;
}

function figureRows(r: RolloutView): FigureRow[] {
  const figures = r.progressState.figures;
  if (typeof figures !== 'object' || figures === null) return [];
  const variants = (figures as { variants?: unknown }).variants;
  return Array.isArray(variants) ? (variants as FigureRow[]) : [];
}

/** One row per variant: sessions opened during the release, their length, abnormal closes (disconnected, crashed). */
export function renderFigures(r: RolloutView): string | null {
  const rows = figureRows(r);
  if (rows.length === 0) return null;
  const secs = (s: number | null): string => (s === null ? '-' : formatDuration(s * 1000));
  const truncated = (r.progressState.figures as { truncated?: unknown }).truncated === true;
  const table = renderTable(
    ['VARIANT', 'BUILD', 'SESSIONS', 'OPEN', 'MEAN', 'MEDIAN', 'ABNORMAL'],
    rows.map((v) => [v.name, v.build, String(v.sessions), String(v.open), secs(v.meanSeconds), secs(v.medianSeconds), String(v.abnormalCloses)]),
  );
  return truncated ? `${table}\n(only the most recent closed sessions are counted)` : table;
}

/** What to run next, for a release waiting on a person; null when it waits on nothing. */
export function nextStep(r: RolloutView): string | null {
  if (r.background?.heldAt != null && !isTerminalPhase(r.phase)) return `continue with: handoff rollout promote ${r.fleet}  (or: handoff rollout abort ${r.fleet})`;
  if (r.phase === 'AwaitingPromotion') return `switch with: handoff rollout promote ${r.fleet}  (or: handoff rollout abort ${r.fleet})`;
  if (r.phase === 'Paused' && r.message.endsWith('until promote')) return `continue with: handoff rollout promote ${r.fleet}  (or: handoff rollout abort ${r.fleet})`;
  if (r.phase === 'Paused' && r.strategy === 'rolling') return `resume with: handoff rollout promote ${r.fleet}  (or: handoff rollout abort ${r.fleet})`;
  if (r.strategy === 'ab-test' && r.phase === 'Progressing') {
    const names = figureRows(r).map((v) => v.name);
    return `end the test with: handoff rollout promote ${r.fleet} --variant ${names.length > 0 ? names.join('|') : 'NAME'}`;
  }
  return null;
}
