/**
 * The demo's closing numbers: how every session ended (see `decide-session.ts`), the release's
 * end, and the strategy's own figures. The line `interrupted without notice N` and the JSON field
 * `interruptedWithoutNotice` are the contract other demos and scripts read: keep both as they are.
 */
import type { SessionTally } from './decide-session.js';
import type { PlayerStats } from './player-stats.js';
import { duration } from './scenarios/figures.js';
import type { Figure } from './scenarios/types.js';

export interface DemoSummary {
  strategy: string;
  rollout: { id: string; phase: string; message: string; timedOut: boolean };
  sessions: {
    total: number;
    byBuild: Record<string, number>;
    endedNormally: number;
    stillPlaying: number;
    migratedWithNotice: { count: number; noticeLeadMs: { min: number; max: number } | null };
    closedByMaintenance: { count: number; noticeLeadMs: { min: number; max: number } | null };
    /** Closed with notice for a reason the demo does not name (a strategy's new close reason). */
    closedWithNotice: Record<string, number>;
    /** The build's fault, not the release's. */
    lostToServerCrashes: number;
  };
  /** Sessions Handoff or the release closed without announcing a move to the player. Must be 0. */
  interruptedWithoutNotice: number;
  /** The same interruptions counted from each side (crashes included in both). */
  crossCheck: { playersView: number; controlPlaneView: number; agree: boolean; disagreements: string[] };
  players: { sessionsOpened: number; allocationErrors: Record<string, number>; drainNotices: number };
  figures: Figure[];
  /** Nobody interrupted without notice, and the release ended as its scenario expects (completed, or rolled back for a faulty build). */
  passed: boolean;
  /** Why the release's end does not count as a pass, when it does not. */
  releaseProblem: string | null;
}

export interface SummaryInput {
  strategy: string;
  rollout: { id: string; phase: string; message: string };
  timedOut: boolean;
  tally: SessionTally;
  players: PlayerStats;
  figures: Figure[];
  /**
   * The scenario's judgement of how the release ended; default: it must be Completed. A faulty
   * build's release must instead be rolled back by its analysis.
   */
  releaseEnd?: { ok: boolean; problem: string };
}

export function summarize(i: SummaryInput): DemoSummary {
  const { tally: t } = i;
  const interrupted = t.counts.interrupted;
  const end = i.releaseEnd ?? { ok: i.rollout.phase === 'Completed', problem: 'the release did not complete' };
  const releaseOk = end.ok && !i.timedOut;
  return {
    strategy: i.strategy,
    rollout: { ...i.rollout, timedOut: i.timedOut },
    sessions: {
      total: t.total,
      byBuild: t.byBuild,
      endedNormally: t.counts.ended,
      stillPlaying: t.counts.open,
      migratedWithNotice: { count: t.counts.migrated, noticeLeadMs: t.noticeLeadMs.migrated ?? null },
      closedByMaintenance: { count: t.counts.maintenance, noticeLeadMs: t.noticeLeadMs.maintenance ?? null },
      closedWithNotice: t.announcedReasons,
      lostToServerCrashes: t.counts.crashed,
    },
    interruptedWithoutNotice: interrupted,
    crossCheck: { playersView: t.playersSawCut, controlPlaneView: t.controlPlaneCut, agree: t.disagreements.length === 0, disagreements: t.disagreements },
    players: { sessionsOpened: i.players.sessionsOpened, allocationErrors: i.players.allocationErrors, drainNotices: i.players.drainNotices },
    figures: i.figures,
    passed: interrupted === 0 && releaseOk,
    releaseProblem: releaseOk ? null : i.timedOut ? 'the release did not complete' : end.problem,
  };
}

/** The summary as JSON: figures keyed by name. */
export function summaryJson(s: DemoSummary): Record<string, unknown> {
  return { ...s, figures: Object.fromEntries(s.figures.map((f) => [f.key, f.value])) };
}

/** Wide enough for "interrupted without notice" plus one space, so that line reads `interrupted without notice N`. */
const LABEL = 27;

export function formatSummary(s: DemoSummary): string {
  const line = (label: string, text: string | number): string => `${label.padEnd(LABEL - 1)} ${text}`;
  const lead = (l: { min: number; max: number } | null): string => (l === null ? '' : l.min === l.max ? ` (notice ${duration(l.min)} before)` : ` (notice ${duration(l.min)}–${duration(l.max)} before)`);
  const builds = Object.entries(s.sessions.byBuild).sort(([a], [b]) => a.localeCompare(b)).map(([b, n]) => `${b}=${n}`).join(', ') || 'none';
  const ss = s.sessions;
  const end = s.rollout.timedOut ? ` (did not end in time; last phase ${s.rollout.phase})` : '';
  const lines = [
    `── release summary: ${s.strategy} ${'─'.repeat(Math.max(3, 36 - s.strategy.length))}`,
    line('rollout', `${s.rollout.phase}: ${s.rollout.message}${end}`),
    line('sessions', `${ss.total} (${builds})`),
    line('ended normally', ss.endedNormally),
    line('still playing', ss.stillPlaying),
    line('migrated with notice', `${ss.migratedWithNotice.count}${lead(ss.migratedWithNotice.noticeLeadMs)}`),
    line('closed by maintenance', `${ss.closedByMaintenance.count}${lead(ss.closedByMaintenance.noticeLeadMs)}`),
    ...Object.entries(ss.closedWithNotice).map(([reason, n]) => line('closed with notice', `${n} (reason ${reason})`)),
    line('lost to server crashes', `${ss.lostToServerCrashes}${ss.lostToServerCrashes > 0 ? " (the build's fault, not the release's)" : ''}`),
    line('interrupted without notice', s.interruptedWithoutNotice),
  ];
  if (!s.crossCheck.agree) {
    lines.push(`  ! players and control plane disagree: players saw ${s.crossCheck.playersView} cut off, the control plane recorded ${s.crossCheck.controlPlaneView} (crashes included)`);
    for (const d of s.crossCheck.disagreements.slice(0, 10)) lines.push(`    ${d}`);
    if (s.crossCheck.disagreements.length > 10) lines.push(`    … and ${s.crossCheck.disagreements.length - 10} more`);
  }
  for (const f of s.figures) lines.push(line(f.label, f.text));
  const why = s.interruptedWithoutNotice > 0 ? 'players were disconnected without notice' : (s.releaseProblem ?? 'the release did not complete');
  lines.push(line('result', s.passed ? 'PASS: no player was disconnected without notice' : `FAIL: ${why}`));
  return lines.join('\n');
}
