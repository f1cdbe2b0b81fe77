/** The demo's closing numbers, computed from the rollout, the session history and the players. */
import type { Rollout } from '../rollout/model.js';
import { InterruptingReasons, type Session } from '../session/model.js';
import type { PlayerStats } from './player-stats.js';

export interface DemoSummary {
  sessionsOpened: number;
  /** Players whose connection was cut by anything but their own leave or a migration. */
  interruptedByPlayers: number;
  /** Sessions the control plane closed because their server stopped or crashed. */
  closedByServerLoss: number;
  migrated: number;
  sessionsByBuild: Record<string, number>;
  phase: string;
  message: string;
  /** All new servers Ready → the switch of routing. */
  readyToSwitchMs: number | null;
  /** The switch → the last session on the old build closed. */
  oldBuildEmptyMs: number | null;
  /** The switch → the rollout completed (old servers stopped). */
  switchToCompletedMs: number | null;
}

export function summarize(rollout: Rollout, history: readonly Session[], players: PlayerStats): DemoSummary {
  const oldSessions = history.filter((s) => s.build === rollout.fromBuild);
  const lastOldClose = oldSessions.reduce<number | null>((max, s) => (s.closedAt === null ? max : Math.max(max ?? 0, s.closedAt)), null);
  const sw = rollout.switchedAt;
  return {
    sessionsOpened: players.sessionsOpened,
    interruptedByPlayers: players.sessionsInterrupted,
    closedByServerLoss: history.filter((s) => s.closeReason !== null && InterruptingReasons.includes(s.closeReason)).length,
    migrated: players.sessionsMigrated,
    sessionsByBuild: players.sessionsByBuild,
    phase: rollout.phase,
    message: rollout.message,
    readyToSwitchMs: sw !== null && rollout.readyAt !== null ? sw - rollout.readyAt : null,
    oldBuildEmptyMs: sw !== null && lastOldClose !== null ? Math.max(0, lastOldClose - sw) : null,
    switchToCompletedMs: sw !== null && rollout.completedAt !== null ? rollout.completedAt - sw : null,
  };
}

/** A release passed when it completed and nobody was cut off. */
export function releaseWasClean(s: DemoSummary): boolean {
  return s.phase === 'Completed' && s.interruptedByPlayers === 0 && s.closedByServerLoss === 0;
}

export function formatSummary(s: DemoSummary): string {
  const ms = (v: number | null): string => (v === null ? 'n/a' : v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);
  const builds = Object.entries(s.sessionsByBuild).map(([b, n]) => `${b}=${n}`).join(', ') || 'none';
  return [
    '── release summary ─────────────────────────────────────',
    `rollout                      ${s.phase}: ${s.message}`,
    `sessions opened              ${s.sessionsOpened} (${builds})`,
    `sessions interrupted         ${s.interruptedByPlayers} (players' view)  ${s.closedByServerLoss} (closed by a server stop or crash)`,
    `sessions migrated at drain   ${s.migrated}`,
    `ready → switch               ${ms(s.readyToSwitchMs)}`,
    `switch → old build empty     ${ms(s.oldBuildEmptyMs)}`,
    `switch → old build retired   ${ms(s.switchToCompletedMs)}`,
    releaseWasClean(s) ? 'result                       PASS: no player was disconnected by the release' : 'result                       FAIL: see above',
  ].join('\n');
}
