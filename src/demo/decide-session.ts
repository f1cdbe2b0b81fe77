/**
 * How each demo session ended, judged from both sides: the control plane's close reason and
 * what the player was shown (notices) and saw (how the socket closed). Pure: times are data.
 *
 * The figure that matters is "interrupted without notice": a session Handoff or the release
 * closed although nobody announced a move to its player. Crashes are counted apart (the build's
 * fault, not the release's); a close reason this file does not know yet (a strategy added one)
 * is judged by the same rule: announced → a planned close, not announced → an interruption.
 */
import type { SessionOutcome } from './player-outcome.js';

export const SessionCategories = [
  'open', // still playing when the summary was taken
  'ended', // ended by the game or the player: left, dropped, never came, or lost from its roster
  'migrated', // closed by the release after a drain or migration notice reached the player
  'maintenance', // closed by a maintenance window the player had been told about
  'announced', // closed with notice for a reason the demo does not know by name
  'crashed', // the game server or its host died, or the game ended the session in error: not the release's doing, reported apart
  'interrupted', // closed by Handoff or the release without notice: must be 0
] as const;
export type SessionCategory = (typeof SessionCategories)[number];

/** Close reasons of the game's or the player's own doing: never the release's. */
const OWN_ENDS: readonly string[] = ['ended', 'disconnected', 'expired', 'roster'];
/** Planned closes the demo names; any other reason (not a crash or a stop) goes to `announced`. */
const PLANNED: Readonly<Record<string, SessionCategory>> = { migrated: 'migrated', api: 'migrated', maintenance: 'maintenance' };

/**
 * The control plane's view of one session. `reason` null = still open. `noticed`: a notice of a
 * move reached the player before the close. A stopped server is never a planned close: a notice
 * announces a migration, and the release must close the session itself before stopping a host.
 */
export function categorize(reason: string | null, noticed: boolean): SessionCategory {
  if (reason === null) return 'open';
  if (OWN_ENDS.includes(reason)) return 'ended';
  if (reason === 'server_crashed' || reason === 'error' || reason === 'host_lost') return 'crashed';
  if (reason === 'server_stopped' || !noticed) return 'interrupted';
  return PLANNED[reason] ?? 'announced';
}

/** A notice a player was shown, timed on the same clock as the control plane's `closedAt`. */
export interface NoticeSeen {
  kind: string;
  at: number;
}

/**
 * When the player was first told of the move still standing at `before` (null: not told). A
 * `*-cancelled` notice (an aborted release) withdraws what came before it.
 */
export function standingNoticeAt(notices: readonly NoticeSeen[], before: number): number | null {
  let since: number | null = null;
  for (const n of [...notices].sort((a, b) => a.at - b.at)) {
    if (n.at > before) break;
    if (n.kind.endsWith('-cancelled')) since = null;
    else since ??= n.at;
  }
  return since;
}

/** Everything known about one session at the end of the demo. */
export interface SessionRecord {
  id: string;
  build: string;
  playerId: string;
  /** From the control plane; null = not closed (or not known to it). */
  closeReason: string | null;
  closedAt: number | null;
  /** From the player. */
  notices: readonly NoticeSeen[];
  playerOutcome: SessionOutcome | null;
  playerClosedAt: number | null;
}

export interface SessionVerdict {
  category: SessionCategory;
  /** For planned closes: how long before the close the notice reached the player. */
  noticeLeadMs: number | null;
  /** The player's view: cut off (an interrupted socket, or a migration nobody announced); null = the player did not see the end. */
  playerCut: boolean | null;
  /** The control plane's view: closed as a crash or without notice; null = still open. */
  controlPlaneCut: boolean | null;
  /** Set when the two views disagree on whether the player was cut off. */
  disagreement: string | null;
}

/**
 * Joins both views. The player's view can only add interruptions: a player cut off (a dropped
 * socket, or a migration close nobody announced) counts even where the control plane recorded a
 * harmless end, since "must be 0" must not hide what a player saw.
 */
export function judgeSession(r: SessionRecord): SessionVerdict {
  const closedAt = r.closedAt ?? r.playerClosedAt ?? Number.POSITIVE_INFINITY;
  const noticeAt = standingNoticeAt(r.notices, closedAt);
  const cp = categorize(r.closeReason, noticeAt !== null);
  const playerCut = r.playerOutcome === null ? null : r.playerOutcome.kind === 'interrupted' || (r.playerOutcome.kind === 'migrated' && noticeAt === null);
  const cpCut = cp === 'open' ? null : cp === 'interrupted' || cp === 'crashed';
  const category = cp !== 'crashed' && playerCut === true ? 'interrupted' : cp;
  const planned = category === 'migrated' || category === 'maintenance' || category === 'announced';
  const noticeLeadMs = planned && noticeAt !== null && r.closedAt !== null ? Math.max(0, r.closedAt - noticeAt) : null;
  let disagreement: string | null = null;
  if (playerCut !== null && playerCut !== (cpCut ?? false)) {
    const seen = r.playerOutcome?.kind === 'interrupted' ? r.playerOutcome.cause : (r.playerOutcome?.kind ?? 'nothing');
    const recorded = r.closeReason ?? 'still open';
    disagreement = `${r.id} (${r.playerId} on ${r.build}): the player saw ${seen}${playerCut ? '' : ' (not cut off)'}, the control plane recorded ${recorded}${noticeAt === null ? ', no notice' : ''}`;
  }
  return { category, noticeLeadMs, playerCut, controlPlaneCut: cpCut, disagreement };
}

export interface SessionTally {
  total: number;
  byBuild: Record<string, number>;
  counts: Record<SessionCategory, number>;
  /** Shortest and longest notice before a planned close, per category that had any. */
  noticeLeadMs: Partial<Record<'migrated' | 'maintenance' | 'announced', { min: number; max: number }>>;
  /** Close reasons of the `announced` sessions. */
  announcedReasons: Record<string, number>;
  /** Sessions the player saw cut off: the players' view of the interruptions (crashes included). */
  playersSawCut: number;
  /** Sessions the control plane closed as a crash or without notice: its view of the same. */
  controlPlaneCut: number;
  disagreements: string[];
}

/** Sums the verdicts of every session. */
export function tallySessions(records: readonly SessionRecord[]): SessionTally {
  const counts = Object.fromEntries(SessionCategories.map((c) => [c, 0])) as Record<SessionCategory, number>;
  const t: SessionTally = { total: records.length, byBuild: {}, counts, noticeLeadMs: {}, announcedReasons: {}, playersSawCut: 0, controlPlaneCut: 0, disagreements: [] };
  for (const r of records) {
    const v = judgeSession(r);
    counts[v.category] += 1;
    t.byBuild[r.build] = (t.byBuild[r.build] ?? 0) + 1;
    if (v.category === 'announced' && r.closeReason !== null) t.announcedReasons[r.closeReason] = (t.announcedReasons[r.closeReason] ?? 0) + 1;
    if (v.noticeLeadMs !== null && (v.category === 'migrated' || v.category === 'maintenance' || v.category === 'announced')) {
      const lead = t.noticeLeadMs[v.category];
      t.noticeLeadMs[v.category] = lead ? { min: Math.min(lead.min, v.noticeLeadMs), max: Math.max(lead.max, v.noticeLeadMs) } : { min: v.noticeLeadMs, max: v.noticeLeadMs };
    }
    if (v.playerCut === true) t.playersSawCut += 1;
    if (v.controlPlaneCut === true) t.controlPlaneCut += 1;
    if (v.disagreement !== null) t.disagreements.push(v.disagreement);
  }
  return t;
}
