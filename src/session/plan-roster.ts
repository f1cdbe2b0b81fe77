/**
 * Pure roster reconciliation: a game server reports the players connected to it, and the
 * control plane's sessions on that server are brought in line with it. No I/O, no clock.
 *
 * The game server is the witness of who is connected; the store is the witness of what the
 * control plane decided. So:
 * - a roster player whose session is Reserved is confirmed (the store lost the confirmation);
 * - a roster player with no open session anywhere gets one back, under the session id the
 *   server knows when the store has never heard of it (the store lost it) — unless the store
 *   shows the control plane closed it on purpose: then the server is told again to let them go;
 * - a roster player with an open session on another server keeps that one (it came from a later
 *   allocation: the player moved on) and merely keeps this server occupied until they leave;
 * - a Connected session whose player is missing is closed as `roster`, unless it was confirmed
 *   within `graceMs`: that confirmation and the report may have crossed on the wire;
 * - Reserved sessions of missing players stay: those players have not arrived yet.
 * Capacity is not checked: it limits new allocations, and these players are already there.
 */
import type { SessionState } from './model.js';

export interface RosterSession {
  id: string;
  playerId: string;
  state: SessionState;
  connectedAt: number | null;
}

/** What the store says about a roster player who has no open session in the fleet. */
export interface PlayerHistory {
  /** The store holds that session (or the player's latest on this server) as Closed. */
  closedByControlPlane: boolean;
  /** The id to recover the session under, or null to mint one. */
  reuseId: string | null;
}

export interface RosterInput {
  /** The reported players (duplicates are ignored). */
  players: readonly string[];
  /** Open sessions on the reporting server. */
  onServer: readonly RosterSession[];
  /** Roster players with an open session on another server of the fleet. */
  elsewhere: ReadonlySet<string>;
  /**
   * Store history of roster players who had no open session in the fleet when it was read. A
   * player without an entry lost their session while the store was being read (closed in the
   * meantime): left undecided rather than brought back.
   */
  history: ReadonlyMap<string, PlayerHistory>;
  now: number;
  graceMs: number;
}

export interface RosterPlan {
  /** Session ids to mark Connected. */
  confirm: string[];
  recover: { playerId: string; sessionId: string | null }[];
  /** Session ids to close as `roster`. */
  close: string[];
  /** Players whose open session is on another server: kept on this server's roster only. */
  elsewhere: string[];
  /** Players the control plane closed on purpose: told again, left off the roster. */
  stale: string[];
  /** Players whose session changed while the report was checked: kept on the roster, nothing else. */
  undecided: string[];
}

export function planRoster(input: RosterInput): RosterPlan {
  const plan: RosterPlan = { confirm: [], recover: [], close: [], elsewhere: [], stale: [], undecided: [] };
  const reported = new Set(input.players);
  const byPlayer = new Map(input.onServer.map((s) => [s.playerId, s]));
  for (const playerId of reported) {
    const open = byPlayer.get(playerId);
    if (open) {
      if (open.state === 'Reserved') plan.confirm.push(open.id);
    } else if (input.elsewhere.has(playerId)) {
      plan.elsewhere.push(playerId);
    } else {
      const h = input.history.get(playerId);
      if (!h) plan.undecided.push(playerId);
      else if (h.closedByControlPlane) plan.stale.push(playerId);
      else plan.recover.push({ playerId, sessionId: h.reuseId });
    }
  }
  for (const s of input.onServer) {
    if (reported.has(s.playerId) || s.state !== 'Connected') continue;
    if (s.connectedAt !== null && s.connectedAt > input.now - input.graceMs) continue;
    plan.close.push(s.id);
  }
  return plan;
}

/** The roster the control plane keeps for the server after applying `plan`. */
export function keptRoster(players: readonly string[], plan: Pick<RosterPlan, 'stale'>): string[] {
  const stale = new Set(plan.stale);
  return [...new Set(players)].filter((p) => !stale.has(p));
}
