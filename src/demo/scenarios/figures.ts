/**
 * Reading rollout records and computing figures from what the demo observed. Pure helpers shared
 * by the scenarios; every figure is derived from the public API's answers and the session
 * history, so it holds whatever shape a strategy's status takes inside the control plane.
 */
import type { Figure, RolloutRecord, SessionFact, TraceSample } from './types.js';

/** Phases after which a rollout does nothing more. */
export const TerminalPhases: readonly string[] = ['Completed', 'Aborted', 'Failed'];

export function phaseOf(r: RolloutRecord): string {
  return typeof r['phase'] === 'string' ? r['phase'] : 'unknown';
}

/** A numeric field, looked up along `path` (e.g. `['progressState', 'batch']`); null when absent. */
export function num(r: unknown, ...path: string[]): number | null {
  let v: unknown = r;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function duration(ms: number | null): string {
  if (ms === null) return 'n/a';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** `end - start` when both are known and in order. */
export function between(start: number | null, end: number | null): number | null {
  return start !== null && end !== null ? Math.max(0, end - start) : null;
}

export function msFigure(key: string, label: string, ms: number | null): Figure {
  return { key, label, value: ms, text: duration(ms) };
}

/** Distinct routing weights of `build` in the order they were seen, with when (ms after `from`). */
export function weightSteps(trace: readonly TraceSample[], build: string, from: number): { weight: number; afterMs: number }[] {
  const steps: { weight: number; afterMs: number }[] = [];
  for (const s of trace) {
    const w = s.weights[build] ?? 0;
    if (steps.at(-1)?.weight !== w) steps.push({ weight: w, afterMs: Math.max(0, s.at - from) });
  }
  return steps;
}

/** Most live servers seen at once, over all builds. */
export function peakServers(trace: readonly TraceSample[]): number {
  let peak = 0;
  for (const s of trace) {
    const n = Object.values(s.servers).reduce((sum, states) => sum + Object.values(states).reduce((a, b) => a + b, 0), 0);
    peak = Math.max(peak, n);
  }
  return peak;
}

/** When the last session of `build` closed; null while one is open or none existed. */
export function lastClose(sessions: readonly SessionFact[], build: string): number | null {
  let last: number | null = null;
  for (const s of sessions) {
    if (s.build !== build) continue;
    if (s.closedAt === null) return null;
    last = Math.max(last ?? 0, s.closedAt);
  }
  return last;
}

/** First trace sample (after `from`) where `build` had no live server left. */
export function retiredAt(trace: readonly TraceSample[], build: string, from: number): number | null {
  return trace.find((s) => s.at >= from && Object.keys(s.servers[build] ?? {}).length === 0)?.at ?? null;
}

export interface BuildSessionFigures {
  sessions: number;
  /** Mean length of the closed sessions, ms. */
  meanLengthMs: number | null;
  /** Closed by a crash, a stop, or any reason other than the game's own end or a planned close. */
  abnormalCloses: number;
}

const NORMAL = ['ended', 'disconnected', 'expired', 'roster', 'migrated', 'api', 'maintenance'];

/** Per-build session figures over the sessions opened at or after `from`. */
export function sessionsByBuild(sessions: readonly SessionFact[], from: number): Record<string, BuildSessionFigures> {
  const acc: Record<string, { n: number; closed: number; total: number; abnormal: number }> = {};
  for (const s of sessions) {
    if (s.openedAt < from) continue;
    const a = (acc[s.build] ??= { n: 0, closed: 0, total: 0, abnormal: 0 });
    a.n += 1;
    if (s.closedAt !== null) {
      a.closed += 1;
      a.total += s.closedAt - s.openedAt;
    }
    if (s.closeReason !== null && !NORMAL.includes(s.closeReason)) a.abnormal += 1;
  }
  return Object.fromEntries(
    Object.entries(acc).map(([b, a]) => [b, { sessions: a.n, meanLengthMs: a.closed > 0 ? Math.round(a.total / a.closed) : null, abnormalCloses: a.abnormal }]),
  );
}

/** Players with sessions on more than one build among those opened in [from, to). */
export function playersOnBothBuilds(sessions: readonly SessionFact[], from: number, to: number): string[] {
  const builds = new Map<string, Set<string>>();
  for (const s of sessions) {
    if (s.openedAt < from || s.openedAt >= to) continue;
    let set = builds.get(s.playerId);
    if (!set) builds.set(s.playerId, (set = new Set()));
    set.add(s.build);
  }
  return [...builds.entries()].filter(([, b]) => b.size > 1).map(([p]) => p).sort();
}
